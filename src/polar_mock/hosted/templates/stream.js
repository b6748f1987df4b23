{# Included by the pages that follow a checkout after paying. -#}
// The checkout's events as Polar's page reads them, from GET /v1/checkouts/client/{secret}/stream
// (server-sent events `data: {"key", "payload"}`; the mock answers with what has happened so
// far and closes). Resolves to the list of {key, payload}.
function checkoutEvents(secret){
  return fetch('/v1/checkouts/client/' + secret + '/stream', { cache: 'no-store' })
    .then(function(r){ return r.text(); })
    .then(function(text){
      var events = [];
      text.split('\n').forEach(function(line){
        if (line.indexOf('data: ') !== 0) return;
        var e = JSON.parse(line.slice(6));
        if (e.key) events.push(e);
      });
      return events;
    });
}
