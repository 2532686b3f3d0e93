# The page's own Python (MicroPython, main thread): starts the engine worker and shows what it reports.
from pyscript import document, window
from pyscript.ffi import to_js


def on_message(event):
    data = event.data
    out = document.getElementById("engine-version")
    if data.type == "ready":
        out.textContent = "jsonm_core " + data.version + " · ijson " + data.ijson_backend
    elif data.type == "error":
        out.textContent = "engine failed: " + data.message


worker = window.Worker.new("./worker.js", to_js({"type": "module"}))
worker.onmessage = on_message
