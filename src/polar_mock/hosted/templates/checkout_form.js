{# The checkout page's script (included by checkout.html inside its closure: `data`, `secret`,
   formatMoney, checkoutEvents, readCard are in scope). Edits go to the server as Polar's form
   sends them (PATCH /v1/checkouts/client/{secret}: seats, the billing country), and the page
   shows what the server answers: amounts, and which address fields show. -#}
  var form = document.getElementById('checkout-form');
  var submit = document.getElementById('submit');
  var submitLabel = submit.querySelector('div');
  var pending = 0;
  function fmt(c){ return formatMoney(c, data.money); }
  function busy(d){ pending += d; submit.disabled = pending > 0; }
  function showError(m){ var e=document.getElementById('checkout-error'); e.textContent=m; e.classList.remove('hidden'); }
  function errorText(j){
    if (typeof j.detail === 'string') return j.detail;
    if (j.detail && j.detail[0]) return j.detail[0].msg + ' (' + j.detail[0].loc.slice(1).join('.') + ')';
    return 'Payment failed.';
  }
  // The checkout as the server answered it: amounts and the seat row, taxes, address fields.
  function show(c){
    var label = fmt(c.amount) + data.interval;
    var hero = document.querySelector('[data-testid=checkout-amount]');
    hero.firstChild.textContent = fmt(c.amount); hero.setAttribute('data-amount', c.amount);
    document.querySelectorAll('[data-amount-label]').forEach(function(e){ e.textContent = label; });
    var row = document.querySelector('[data-row=seats]');
    if (row && c.seats) {
      var title = c.seats + (c.seats === 1 ? ' seat' : ' seats');
      row.setAttribute('data-testid', 'detail-row-' + title);
      row.querySelector('span').textContent = title;
      var count = document.querySelector('[data-testid=seats-count]');
      if (count) count.textContent = c.seats;
      data.seats = c.seats;
    }
    document.querySelector('[data-row=taxes]').textContent = c.tax_amount === null ? '—' : fmt(c.tax_amount);
    var fields = c.billing_address_fields || {};
    document.querySelectorAll('[data-field]').forEach(function(input){
      input.classList.toggle('hidden', fields[input.getAttribute('data-field')] === 'disabled');
    });
    var st = document.querySelector('[data-field=state]');
    st.placeholder = country.code === 'CA' ? 'Province' : country.code === 'US' ? 'State' : 'State / Province';
  }
  function patch(body){
    busy(1);
    return fetch('/v1/checkouts/client/' + secret, { method: 'PATCH', headers: {'Content-Type':'application/json'}, body: JSON.stringify(body) })
      .then(function(r){ return r.json().then(function(j){ return [r.status, j]; }); })
      .then(function(res){ if (res[0] === 200) show(res[1]); else showError(errorText(res[1])); })
      .catch(function(){ showError('Network error.'); })
      .then(function(){ busy(-1); });
  }

  // Seats (CheckoutSeatSelector.tsx): −, the count (a button that becomes a text input), +.
  function setSeats(n){
    if (n < data.min || (data.max !== null && n > data.max) || n === data.seats) return;
    patch({ seats: n });
  }
  var dec = document.querySelector('[aria-label="Decrease seats"]');
  if (dec) {
    dec.addEventListener('click', function(){ setSeats(data.seats - 1); });
    document.querySelector('[aria-label="Increase seats"]').addEventListener('click', function(){ setSeats(data.seats + 1); });
    var count = document.querySelector('[aria-label="Click to edit seat count"]');
    count.addEventListener('click', function(){
      var input = document.createElement('input');
      input.type = 'text'; input.inputMode = 'numeric'; input.value = data.seats;
      input.setAttribute('aria-label', 'Seats'); input.setAttribute('data-testid', 'seats-input');
      count.replaceWith(input); input.focus(); input.select();
      function commit(){
        if (!input.isConnected) return;
        input.replaceWith(count);
        setSeats(parseInt(input.value, 10) || data.seats);
      }
      input.addEventListener('blur', commit);
      input.addEventListener('keydown', function(e){ if (e.key === 'Enter') { e.preventDefault(); commit(); } });
    });
  }

  // The country picker: a Radix Select (CountryPicker.tsx:48-77) as measured (§5): a
  // <button role=combobox> with no accessible name showing "Country", opened on pointerdown
  // (mouse) or Enter/Space/arrows; its listbox a portal at the end of <body>, with arrow keys,
  // Enter and typeahead; an option chosen on pointerup; a hidden native <select> that follows.
  var country = { code: data.country };
  (function(){
    var trigger = document.querySelector('[data-testid=checkout-country]');
    var valueSpan = trigger.firstElementChild;
    var native = document.querySelector('[data-testid=checkout-country-native]');
    native.append(new Option('', ''));
    data.countries.forEach(function(c){ native.append(new Option(c[1], c[0])); });
    native.value = data.country;
    trigger.setAttribute('aria-controls', ''); trigger.setAttribute('aria-expanded', 'false');
    trigger.setAttribute('aria-autocomplete', 'none'); trigger.setAttribute('data-state', 'closed');
    var wrapper = null, search = '', searchTimer = null;
    function options(){ return Array.prototype.slice.call(wrapper.querySelectorAll('[role=option]')); }
    function focusOption(o){
      if (!o) return;
      options().forEach(function(x){ x.removeAttribute('data-highlighted'); });
      o.setAttribute('data-highlighted', ''); o.focus({ preventScroll: true }); o.scrollIntoView({ block: 'nearest' });
    }
    function choose(c){
      country.code = c[0]; native.value = c[0];
      native.dispatchEvent(new Event('change', { bubbles: true }));
      valueSpan.textContent = c[1]; trigger.removeAttribute('data-placeholder');
      close();
      patch({ customer_billing_address: { country: c[0] } });
    }
    function onOutside(e){ if (wrapper && !wrapper.contains(e.target)) close(); }
    function close(){
      if (!wrapper) return;
      wrapper.remove(); wrapper = null;
      document.body.style.pointerEvents = '';
      document.removeEventListener('pointerdown', onOutside, true);
      trigger.setAttribute('aria-expanded', 'false'); trigger.setAttribute('aria-controls', '');
      trigger.setAttribute('data-state', 'closed'); trigger.focus({ preventScroll: true });
    }
    function open(){
      if (wrapper) return;
      wrapper = document.createElement('div');
      wrapper.setAttribute('data-radix-popper-content-wrapper', '');
      var r = trigger.getBoundingClientRect();
      wrapper.style.left = r.left + 'px';
      wrapper.style.top = Math.max(8, Math.min(r.bottom + 4, window.innerHeight - 280)) + 'px';
      var list = document.createElement('div');
      list.setAttribute('role', 'listbox'); list.id = 'radix-country-listbox'; list.tabIndex = -1;
      data.countries.forEach(function(c, i){
        var o = document.createElement('div'), text = document.createElement('span');
        text.id = list.id + '-' + i; text.textContent = c[1];
        o.setAttribute('role', 'option'); o.setAttribute('aria-labelledby', text.id);
        o.setAttribute('aria-selected', String(country.code === c[0])); o.tabIndex = -1;
        o.append(text);
        o.addEventListener('pointermove', function(){ focusOption(o); });
        o.addEventListener('pointerup', function(e){ if (e.pointerType === 'mouse') choose(c); });
        list.append(o);
      });
      list.addEventListener('keydown', function(e){
        var all = options(), at = all.indexOf(document.activeElement);
        if (e.key === 'Escape') return close();
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); if (at >= 0) choose(data.countries[at]); return; }
        if (e.key === 'ArrowDown') { e.preventDefault(); return focusOption(all[Math.min(at + 1, all.length - 1)]); }
        if (e.key === 'ArrowUp') { e.preventDefault(); return focusOption(all[Math.max(at - 1, 0)]); }
        if (e.key.length === 1) {
          clearTimeout(searchTimer); search += e.key.toLowerCase();
          searchTimer = setTimeout(function(){ search = ''; }, 1000);
          focusOption(all.find(function(o){ return o.textContent.toLowerCase().indexOf(search) === 0; }));
        }
      });
      wrapper.append(list);
      setTimeout(function(){
        if (!wrapper) return;
        document.body.append(wrapper);
        document.body.style.pointerEvents = 'none';
        trigger.setAttribute('aria-expanded', 'true'); trigger.setAttribute('aria-controls', list.id);
        trigger.setAttribute('data-state', 'open');
        var current = options().find(function(o){ return o.getAttribute('aria-selected') === 'true'; });
        if (current) focusOption(current); else list.focus({ preventScroll: true });
        document.addEventListener('pointerdown', onOutside, true);
      }, 50);
    }
    trigger.addEventListener('pointerdown', function(e){
      if (e.button === 0 && !e.ctrlKey && e.pointerType === 'mouse') { open(); e.preventDefault(); }
    });
    trigger.addEventListener('keydown', function(e){
      if (['Enter', ' ', 'ArrowDown', 'ArrowUp'].indexOf(e.key) >= 0) { e.preventDefault(); open(); }
    });
  })();

  // "I'm purchasing as a business" (CheckoutForm.tsx:597-624).
  document.getElementById('business').addEventListener('change', function(e){
    document.getElementById('business-fields').classList.toggle('hidden', !e.target.checked);
  });

  // The checkout's events (GET /v1/checkouts/client/{secret}/stream), read until all four
  // things Polar's page waits for were seen or `ms` passed.
  function waitForFulfillment(ms){
    var deadline = Date.now() + ms, seen = {};
    function again(){
      if (Date.now() >= deadline) return false;
      return new Promise(function(res){ setTimeout(res, 250); }).then(poll);
    }
    function poll(){
      return checkoutEvents(secret)
        .then(function(events){
          events.forEach(function(e){
            if (e.key === 'checkout.order_created') seen.order = true;
            else if (e.payload && e.payload.status === 'succeeded') seen[e.key] = true;
          });
          if (seen['checkout.updated'] && seen.order) submitLabel.textContent = 'Waiting confirmation from ' + data.organization;
          if (seen['checkout.updated'] && seen.order && seen['checkout.webhook_event_delivered']) return true;
          return again();
        })
        .catch(again);
    }
    return poll();
  }
  function address(){
    if (!country.code) return null;
    var a = { country: country.code };
    document.querySelectorAll('[data-field]').forEach(function(input){
      if (!input.classList.contains('hidden') && input.value) a[input.getAttribute('data-field')] = input.value;
    });
    return a;
  }
  // While loading, the label is hidden and a spinner shows (orbit's Button.tsx:74-89).
  function loading(on){
    var spinner = submit.querySelector('.spinner');
    if (on && !spinner) {
      spinner = document.createElement('span'); spinner.className = 'spinner'; spinner.setAttribute('aria-hidden', 'true');
      submit.append(spinner); submit.setAttribute('data-loading', '');
    } else if (!on && spinner) { spinner.remove(); submit.removeAttribute('data-loading'); }
    busy(on ? 1 : -1);
  }
  function paid(j){
    document.querySelector('[data-testid=checkout]').setAttribute('data-status', j.status);
    var u = new URL(j.success_url, location.href);
    u.searchParams.set('customer_session_token', j.customer_session_token);
    var confirmation = data.confirmation_path;
    if (u.origin === location.origin && u.pathname === confirmation) { location.href = u.toString(); return; }
    // As Polar's page (packages/checkout/src/hooks/fulfillment.ts): wait up to 15 s for the
    // payment, the order and the merchant's answer to checkout.updated, then go on to the
    // success URL; past that, to the confirmation page, which waits on.
    submitLabel.textContent = 'Payment successful! Processing order...';
    waitForFulfillment(15000).then(function(done){
      location.href = done ? u.toString() : confirmation + '?customer_session_token=' + encodeURIComponent(j.customer_session_token);
    });
  }
  form.addEventListener('submit', function(ev){
    ev.preventDefault();
    if (pending > 0) return;
    document.getElementById('checkout-error').classList.add('hidden');
    loading(true);
    readCard(document.getElementById('card-frame'), data.card_origin)
      .then(function(card){
        var body = { customer_email: document.getElementById('email-form-item').value,
          customer_name: document.getElementById('cardholder-name-form-item').value,
          customer_billing_address: address(), card: card };
        if (document.getElementById('business').checked) {
          body.is_business_customer = true;
          body.customer_billing_name = document.getElementById('business-name-form-item').value || null;
          body.customer_tax_id = document.getElementById('tax-id-form-item').value || null;
        }
        if (data.seat_based) body.seats = data.seats;
        return fetch('/v1/checkouts/client/' + secret + '/confirm', { method: 'POST', headers: {'Content-Type':'application/json'}, body: JSON.stringify(body) });
      })
      .then(function(r){ return r.json().then(function(j){ return [r.status, j]; }); })
      .then(function(res){
        if (res[0] === 200) { paid(res[1]); return; }
        showError(errorText(res[1])); loading(false);
      })
      .catch(function(e){ showError(e && e.message ? e.message : 'Network error.'); loading(false); });
  });
