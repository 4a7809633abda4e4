/* Runs in the page. ipywidgets sends one change per field at a time and holds back the latest one until the kernel
   has acknowledged the previous one; when the page closes, Voila disposes of the kernel connection. Both the
   connection's dispose() and `beforeunload` first send what is held back, then hold the page a quarter of a second
   if a change is still unacknowledged, so that the browser has handed it to the network. Uses
   window.jupyterapp.widgetManager and the models' throttle fields; does nothing if they are missing. */
(function () {
  if (window.icfFlushOnClose) { return; }
  window.icfFlushOnClose = true;
  var models = new Map(), hooked = false, waited = false;
  function flush() {
    var inFlight = false;
    models.forEach(function (m) {
      if (!m || !m.comm_live) { return; }
      if (m._msg_buffer) {
        m.send_sync_message(m._msg_buffer, m._msg_buffer_callbacks);
        m._msg_buffer = null;
      }
      inFlight = inFlight || m._pending_msgs > 0;
    });
    if (inFlight && !waited) {
      waited = true;
      var until = Date.now() + 250;
      while (Date.now() < until) { /* let the browser send it */ }
    }
  }
  function track() {
    var app = window.jupyterapp, manager = app && app.widgetManager;
    if (!manager || !manager.registeredModels) { return; }
    var kernel = manager.kernel;
    if (!hooked && kernel && kernel.dispose) {
      hooked = true;
      var dispose = kernel.dispose.bind(kernel);
      kernel.dispose = function () { flush(); dispose(); };
    }
    manager.registeredModels.forEach(function (id) {
      if (!models.has(id)) {
        models.set(id, null);
        manager.get_model(id).then(function (m) { models.set(id, m); });
      }
    });
  }
  document.addEventListener("input", track, true);
  document.addEventListener("focusin", track, true);
  window.addEventListener("beforeunload", flush, true);
  window.addEventListener("pagehide", flush, true);
})();
