// IndexedDB for jobs and their parts, shared by the workers (Pyodide calls these through the
// registered `jsonm_idb` module).  Schema (database "jsonm", version 1):
//   jobs  keyPath "job_id":            {job_id, source, parts, created_at, updated_at, finished_at}
//   parts keyPath ["job_id","index"]:  {job_id, index, state: "done"|"progress", position,
//                                       report (JSON text, when done), checkpoint (Uint8Array),
//                                       records, updated_at}
// Keyed by the manifest's job_id (derived from the source identity), never by URLs.

const DB_NAME = "jsonm";
let dbPromise = null;

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function open() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => {
        const db = r.result;
        if (!db.objectStoreNames.contains("jobs")) db.createObjectStore("jobs", { keyPath: "job_id" });
        if (!db.objectStoreNames.contains("parts")) db.createObjectStore("parts", { keyPath: ["job_id", "index"] });
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  return dbPromise;
}

async function store(name, mode) {
  const db = await open();
  return db.transaction(name, mode).objectStore(name);
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(true);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function getJob(jobId) { return (await req((await store("jobs", "readonly")).get(jobId))); }
export async function putJob(job) {
  const s = await store("jobs", "readwrite");
  s.put(job);
  return done(s.transaction);
}
export async function getPart(jobId, index) {
  return (await req((await store("parts", "readonly")).get([jobId, index])));
}
export async function putPart(part) {
  const s = await store("parts", "readwrite");
  s.put(part);
  return done(s.transaction);
}
export async function deletePart(jobId, index) {
  const s = await store("parts", "readwrite");
  s.delete([jobId, index]);
  return done(s.transaction);
}
// Summaries only (no checkpoint bytes, no reports): what the page needs to offer "Resume".
export async function partSummaries(jobId) {
  const s = await store("parts", "readonly");
  const all = await req(s.getAll(IDBKeyRange.bound([jobId, 0], [jobId, Infinity])));
  return all.map((p) => ({ index: p.index, state: p.state, position: p.position, records: p.records || 0 }));
}
export async function listJobs() { return req((await store("jobs", "readonly")).getAll()); }
export async function deleteJob(jobId) {
  const db = await open();
  const tx = db.transaction(["jobs", "parts"], "readwrite");
  tx.objectStore("jobs").delete(jobId);
  tx.objectStore("parts").delete(IDBKeyRange.bound([jobId, 0], [jobId, Infinity]));
  return done(tx);
}
// Full records (reports and checkpoint bytes) of one job: the state uploaded to the checkpoint URL.
export async function partRecords(jobId) {
  const s = await store("parts", "readonly");
  return req(s.getAll(IDBKeyRange.bound([jobId, 0], [jobId, Infinity])));
}
