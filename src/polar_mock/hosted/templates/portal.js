  // The portal pages' shared script (included by portal_layout.html inside its IIFE, after
  // `var data`): the session's API calls, Polar's toasts, the modals.
  var token = data.token;
  function api(method, path, body) {
    var init = { method: method, headers: { 'Authorization': 'Bearer ' + token } };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (t) { var j = null; try { j = JSON.parse(t); } catch (e) {} return [r.status, j || {}]; });
    });
  }
  function ok(res) { return res[0] >= 200 && res[0] < 300; }
  function detail(res) { return typeof res[1].detail === 'string' ? res[1].detail : 'Something went wrong.'; }
  // Polar's toast (components/Toast): a title and a description, in a status region.
  function toast(title, description, error) {
    var t = document.createElement('div');
    t.className = 'toast' + (error ? ' toast-error' : '');
    t.setAttribute('role', 'status');
    var h = document.createElement('div'); h.className = 'toast-title'; h.textContent = title; t.appendChild(h);
    if (description) { var d = document.createElement('div'); d.textContent = description; t.appendChild(d); }
    document.getElementById('toasts').appendChild(t);
  }
  // Polar refreshes the page data after a change (router.refresh()); the mock reloads and
  // shows the toast on the fresh page.
  function refreshWith(title, description) {
    if (title) sessionStorage.setItem('portal-toast', JSON.stringify([title, description || '']));
    location.reload();
  }
  var pending = sessionStorage.getItem('portal-toast');
  if (pending) { sessionStorage.removeItem('portal-toast'); var p = JSON.parse(pending); toast(p[0], p[1]); }
  function show(id) { document.getElementById(id).classList.remove('hidden'); }
  function hide(id) { document.getElementById(id).classList.add('hidden'); }
  document.querySelectorAll('[data-close]').forEach(function (b) {
    b.addEventListener('click', function () { hide(b.getAttribute('data-close')); });
  });
  function on(attr, f) {
    document.querySelectorAll('[' + attr + ']').forEach(function (b) {
      b.addEventListener('click', function (e) { e.preventDefault(); f(b.getAttribute(attr), b); });
    });
  }
