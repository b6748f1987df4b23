{# Included by the card frame and by the pages that embed it. The card frame is served from
   the mock's second listener, another origin than the page (as Stripe's iframe is to Polar's
   page), so the page never reads the frame's document: it asks with postMessage.
     page → frame  {type: 'card:collect', id}              (target origin: the frame's)
     frame → page  {type: 'card:value', id, number, expiry, cvc}   (target: the page's origin)
   Each side drops messages from any other origin. -#}
// The frame's side: answer the page's `card:collect` from one of `pageOrigins` (the mock's own
// address, Polar's page hosts when a run answers as them) with the fields' values,
// and format them while typing or pasting as Stripe's fields do ("4242 4242 4242 4242",
// "MM / YY").
function serveCard(pageOrigins){
  function digits(s, n){ return (s || '').replace(/\D/g, '').slice(0, n); }
  function formatNumber(v){ return digits(v, 16).replace(/(\d{4})(?=\d)/g, '$1 '); }
  function formatExpiry(v, deleting){
    var d = digits(v, 4);
    if (d.length === 1 && d > '1') d = '0' + d;
    if (d.length > 2) return d.slice(0, 2) + ' / ' + d.slice(2);
    return d.length === 2 && !deleting ? d + ' / ' : d;
  }
  function mask(id, f){
    var el = document.getElementById(id);
    el.addEventListener('input', function(e){
      var deleting = e.inputType && e.inputType.indexOf('delete') === 0;
      var v = f(el.value, deleting);
      if (v !== el.value) el.value = v;
    });
    return el;
  }
  var number = mask('card-number', formatNumber);
  var expiry = mask('card-expiry', formatExpiry);
  var cvc = mask('card-cvc', function(v){ return digits(v, 4); });
  window.addEventListener('message', function(e){
    if (pageOrigins.indexOf(e.origin) < 0 || !e.data || e.data.type !== 'card:collect') return;
    e.source.postMessage({ type: 'card:value', id: e.data.id, number: number.value,
      expiry: expiry.value, cvc: cvc.value }, e.origin);
  });
}
// The page's side: the card typed into `frame` (an iframe element on `cardOrigin`), as a promise of
// {number, expiry, cvc}; rejected when the frame does not answer within 5 s.
var cardAsks = 0;
function readCard(frame, cardOrigin){
  var id = 'card-' + (++cardAsks) + '-' + Date.now();
  return new Promise(function(resolve, reject){
    var timer = setTimeout(function(){ done(); reject(new Error('The card form did not answer.')); }, 5000);
    function done(){ clearTimeout(timer); window.removeEventListener('message', onMessage); }
    function onMessage(e){
      if (e.origin !== cardOrigin || e.source !== frame.contentWindow) return;
      if (!e.data || e.data.type !== 'card:value' || e.data.id !== id) return;
      done();
      resolve({ number: e.data.number, expiry: e.data.expiry, cvc: e.data.cvc });
    }
    window.addEventListener('message', onMessage);
    frame.contentWindow.postMessage({ type: 'card:collect', id: id }, cardOrigin);
  });
}
