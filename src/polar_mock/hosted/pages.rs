//! The hosted pages a browser walks: the checkout (`/checkout/{client_secret}`), its card
//! frame (`/checkout/{client_secret}/card-frame`, standing in for Stripe's cross-origin
//! iframe), the built-in confirmation page, and the customer portal
//! (`/{org_slug}/portal?customer_session_token=…`). Plain HTML with a little inline JS; no
//! external resources. Labels and `data-testid`s are documented in `docs/mock-polar.md`.

use crate::polar_mock::world::{
    price_per_seat, seat_amount, seat_bounds, CheckoutStatus, Subscription, SubscriptionStatus,
    World as State,
};

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub(crate) fn money(cents: i64, currency: &str) -> String {
    let sym = if currency.eq_ignore_ascii_case("usd") {
        "$".to_string()
    } else {
        format!("{} ", currency.to_uppercase())
    };
    format!("{sym}{}.{:02}", cents / 100, cents % 100)
}

const STYLE: &str = r#"<style>
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;background:#f4f4f5;color:#18181b}
main{max-width:980px;margin:32px auto;display:flex;gap:32px;padding:0 16px}
section{background:#fff;border-radius:16px;padding:28px;flex:1;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:22px;margin:0 0 8px}h2{font-size:16px;margin:0 0 12px}
label{display:block;font-size:13px;font-weight:600;margin:14px 0 6px}
input,select{width:100%;padding:10px 12px;border:1px solid #d4d4d8;border-radius:10px;font-size:15px;background:#fff}
input:disabled{background:#f4f4f5;color:#71717a}
button{font-size:15px;padding:12px 16px;border-radius:10px;border:0;background:#2563eb;color:#fff;cursor:pointer;font-weight:600}
button.secondary{background:#e4e4e7;color:#18181b}button:disabled{opacity:.5;cursor:default}
.row{display:flex;gap:12px}.row>div{flex:1}.muted{color:#71717a;font-size:14px}
.total{font-size:28px;font-weight:700;margin:12px 0}
.error{color:#b91c1c;background:#fef2f2;border-radius:10px;padding:10px 12px;margin-top:14px}
.ok{color:#166534;background:#f0fdf4;border-radius:10px;padding:10px 12px;margin-top:14px}
.seats{display:flex;align-items:center;gap:8px}.seats input{width:80px;text-align:center}.seats button{width:44px}
iframe{width:100%;height:150px;border:0;margin-top:8px}
.badge{display:inline-block;padding:3px 10px;border-radius:999px;background:#dcfce7;color:#166534;font-size:13px;font-weight:600}
.badge.warn{background:#fef9c3;color:#854d0e}.badge.bad{background:#fee2e2;color:#991b1b}
.hidden{display:none}
</style>"#;

const COUNTRIES: &[(&str, &str)] = &[
    ("AU", "Australia"),
    ("AT", "Austria"),
    ("BE", "Belgium"),
    ("BR", "Brazil"),
    ("CA", "Canada"),
    ("CH", "Switzerland"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DK", "Denmark"),
    ("ES", "Spain"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("IN", "India"),
    ("IT", "Italy"),
    ("JP", "Japan"),
    ("MX", "Mexico"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("NZ", "New Zealand"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("SE", "Sweden"),
    ("SG", "Singapore"),
    ("US", "United States"),
];

pub(crate) fn page(title: &str, body: &str) -> String {
    format!("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><link rel=\"icon\" href=\"data:,\">{STYLE}</head><body>{body}</body></html>", esc(title))
}

/// The hosted checkout page.
/// The billing country `<option>`s, `country` selected (kept even when not in the list).
fn country_options(country: &str) -> String {
    let mut options = String::from("<option value=\"\">Select a country</option>");
    let mut listed = false;
    for (code, label) in COUNTRIES {
        let sel = if *code == country {
            listed = true;
            " selected"
        } else {
            ""
        };
        options.push_str(&format!("<option value=\"{code}\"{sel}>{label}</option>"));
    }
    if !country.is_empty() && !listed {
        options.push_str(&format!(
            "<option value=\"{0}\" selected>{0}</option>",
            esc(country)
        ));
    }
    options
}

/// The seat selector (fixed when the minimum equals the maximum).
fn seat_block(seats: i64, min: i64, max: Option<i64>, per_seat: &str, interval: &str) -> String {
    let fixed = max == Some(min);
    format!(
        r#"<label for="seats">Seats</label>
<div class="seats"><button type="button" class="secondary" data-testid="seats-decrement" aria-label="Remove a seat" {dis}>−</button>
<input id="seats" name="seats" type="number" inputmode="numeric" data-testid="checkout-seats" value="{seats}" min="{min}" {maxattr} {ro}>
<button type="button" class="secondary" data-testid="seats-increment" aria-label="Add a seat" {dis}>+</button></div>
<p class="muted" data-testid="checkout-price-per-seat">{per_seat} per seat / {interval}</p>"#,
        dis = if fixed { "disabled" } else { "" },
        ro = if fixed { "readonly" } else { "" },
        maxattr = max.map(|m| format!("max=\"{m}\"")).unwrap_or_default(),
    )
}

fn currency_symbol(currency: &str) -> String {
    if currency.eq_ignore_ascii_case("usd") {
        "$".to_string()
    } else {
        format!("{} ", currency.to_uppercase())
    }
}

/// The checkout page's script: seat stepper, address fields, confirm. `$NAME`s are filled in.
const CHECKOUT_SCRIPT: &str = r#"<script>
(function(){
  var secret = "$SECRET";
  var perSeat = $PER_SEAT, seatBased = $SEAT_BASED, min = $MIN, max = $MAX_JS;
  var seatsEl = document.getElementById('seats');
  function fmt(c){ return "$SYM" + (c/100).toFixed(2); }
  function refresh(){
    if(!seatBased) return;
    var n = parseInt(seatsEl.value, 10) || min;
    var amount = n * perSeat;
    var el = document.querySelector('[data-testid=checkout-amount]');
    el.textContent = fmt(amount) + " / $INTERVAL"; el.setAttribute('data-amount', amount);
    var sum = document.querySelector('[data-testid=checkout-seat-summary]');
    sum.textContent = n + (n === 1 ? " seat" : " seats") + " × " + fmt(perSeat); sum.setAttribute('data-seats', n);
  }
  function step(d){ var n=(parseInt(seatsEl.value,10)||min)+d; if(n<min) n=min; if(max!==null && n>max) n=max; seatsEl.value=n; refresh(); }
  if (seatBased) {
    document.querySelector('[data-testid=seats-decrement]').onclick=function(){step(-1)};
    document.querySelector('[data-testid=seats-increment]').onclick=function(){step(1)};
    seatsEl.addEventListener('input', refresh);
  }
  var country = document.getElementById('billing-country');
  function toggleAddress(){
    var c = country.value, box = document.getElementById('address-fields');
    box.classList.toggle('hidden', !(c==='US'||c==='CA'));
    document.getElementById('us-only').classList.toggle('hidden', c!=='US');
  }
  country.addEventListener('change', toggleAddress); toggleAddress();
  function showError(m){ var e=document.getElementById('checkout-error'); e.textContent=m; e.classList.remove('hidden'); }
  document.getElementById('checkout-form').addEventListener('submit', function(ev){
    ev.preventDefault();
    document.getElementById('checkout-error').classList.add('hidden');
    var f = document.getElementById('card-frame').contentDocument;
    var card = { number: f.getElementById('card-number').value, expiry: f.getElementById('card-expiry').value, cvc: f.getElementById('card-cvc').value };
    var c = country.value;
    var addr = c ? { country: c } : null;
    if (addr && (c==='US'||c==='CA')) {
      addr.state = document.getElementById('billing-state').value || null;
      if (c==='US') { addr.line1 = document.getElementById('billing-line1').value || null; addr.city = document.getElementById('billing-city').value || null; addr.postal_code = document.getElementById('billing-postal-code').value || null; }
    }
    var body = { customer_email: document.getElementById('email').value, customer_name: document.getElementById('cardholder-name').value, customer_billing_address: addr, card: card };
    if (seatBased) body.seats = parseInt(seatsEl.value, 10);
    var btn = document.getElementById('submit'); btn.disabled = true; btn.textContent = 'Processing…';
    fetch('/v1/checkouts/client/' + secret + '/confirm', { method: 'POST', headers: {'Content-Type':'application/json'}, body: JSON.stringify(body) })
      .then(function(r){ return r.json().then(function(j){ return [r.status, j]; }); })
      .then(function(res){
        var s = res[0], j = res[1];
        if (s === 200) {
          document.querySelector('[data-testid=checkout]').setAttribute('data-status', j.status);
          var u = new URL(j.success_url, location.href);
          u.searchParams.set('customer_session_token', j.customer_session_token);
          location.href = u.toString();
          return;
        }
        var m = typeof j.detail === 'string' ? j.detail : (j.detail && j.detail[0] ? j.detail[0].msg + ' (' + j.detail[0].loc.slice(1).join('.') + ')' : 'Payment failed.');
        showError(m); btn.disabled = false; btn.textContent = 'Subscribe now';
      })
      .catch(function(){ showError('Network error.'); btn.disabled = false; btn.textContent = 'Subscribe now'; });
  });
})();
</script>"#;

pub(crate) fn checkout(state: &State, i: usize) -> String {
    let c = &state.checkouts[i];
    let product = state.product(&c.product_id);
    let name = product.map_or("Product", |p| p.name.as_str());
    let currency = c.price.price_currency.as_str();
    let seat_based = crate::polar_mock::world::is_seat_based(&c.price);
    let seats = c.seats.unwrap_or(1);
    let (price_min, price_max) = seat_bounds(&c.price);
    let min = c.min_seats.unwrap_or(price_min);
    let max = c.max_seats.or(price_max);
    let per_seat = price_per_seat(&c.price);
    let interval = product
        .and_then(|p| p.recurring_interval.as_ref())
        .map_or("month", |i| i.as_str());
    let amount = seat_amount(&c.price, seats);
    let email = c.customer_email.clone().unwrap_or_default();
    let email_locked = c.customer_id.is_some() && !email.is_empty();
    let country = c
        .customer_billing_address
        .as_ref()
        .map(|a| a.country.clone())
        .unwrap_or_default();
    let addr = |f: fn(&crate::polar_mock::world::Address) -> &Option<String>| {
        c.customer_billing_address
            .as_ref()
            .and_then(|a| f(a).as_deref())
            .map(esc)
            .unwrap_or_default()
    };
    let options = country_options(&country);
    let seat_block = if seat_based {
        seat_block(seats, min, max, &money(per_seat, currency), interval)
    } else {
        String::new()
    };
    let status = esc(c.status.as_str());
    let body = format!(
        r#"<main data-testid="checkout" data-status="{status}" data-checkout-id="{id}">
<section aria-label="Order summary">
  <p class="muted">{org}</p>
  <h1 data-testid="checkout-product-name">{name}</h1>
  <p class="muted">{desc}</p>
  <div class="total" data-testid="checkout-amount" data-amount="{amount}">{amount_txt} / {interval}</div>
  {seat_summary}
  <p class="muted" data-testid="checkout-status">{status}</p>
</section>
<section aria-label="Payment">
<form id="checkout-form" data-testid="checkout-form" novalidate>
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" data-testid="checkout-email" value="{email}" {email_dis}>
  {seat_block}
  <h2 style="margin-top:18px">Payment method</h2>
  <iframe id="card-frame" name="card-frame" title="Secure payment input frame" data-testid="card-frame" src="/checkout/{secret}/card-frame"></iframe>
  <label for="cardholder-name">Cardholder name</label>
  <input id="cardholder-name" name="cardholder-name" autocomplete="cc-name" data-testid="checkout-cardholder-name" value="{cname}">
  <label for="billing-country">Billing country</label>
  <select id="billing-country" name="billing-country" data-testid="checkout-billing-country">{options}</select>
  <div id="address-fields" data-testid="checkout-address" class="hidden">
    <div id="us-only" data-testid="checkout-address-us">
    <label for="billing-line1">Address line 1</label><input id="billing-line1" data-testid="checkout-billing-line1" autocomplete="address-line1" value="{line1}">
    <div class="row"><div><label for="billing-city">City</label><input id="billing-city" data-testid="checkout-billing-city" value="{city}"></div>
    <div><label for="billing-postal-code">Postal code</label><input id="billing-postal-code" data-testid="checkout-billing-postal-code" value="{postal}"></div></div>
    </div>
    <label for="billing-state">State</label><input id="billing-state" data-testid="checkout-billing-state" value="{st}">
  </div>
  <div style="margin-top:20px"><button type="submit" id="submit" data-testid="checkout-submit" style="width:100%">Subscribe now</button></div>
  <div id="checkout-error" class="error hidden" role="alert" data-testid="checkout-error"></div>
</form>
</section>
</main>
"#,
        id = esc(&c.id),
        seat_summary = if seat_based {
            format!(
                "<p data-testid=\"checkout-seat-summary\" data-seats=\"{seats}\">{seats} seat{s} × {pps}</p>",
                s = if seats == 1 { "" } else { "s" },
                pps = money(per_seat, currency),
            )
        } else {
            String::new()
        },
        org = esc(&state.organization.name),
        desc = esc(product.and_then(|p| p.description.as_deref()).unwrap_or("")),
        amount_txt = money(amount, currency),
        email = esc(&email),
        email_dis = if email_locked { "disabled" } else { "" },
        secret = esc(&c.client_secret),
        cname = esc(c.customer_name.as_deref().unwrap_or("")),
        line1 = addr(|a| &a.line1),
        city = addr(|a| &a.city),
        postal = addr(|a| &a.postal_code),
        st = addr(|a| &a.state),
    );
    let script = CHECKOUT_SCRIPT
        .replace("$SECRET", &esc(&c.client_secret))
        .replace("$PER_SEAT", &per_seat.to_string())
        .replace("$SEAT_BASED", &seat_based.to_string())
        .replace("$MIN", &min.to_string())
        .replace(
            "$MAX_JS",
            &max.map(|m| m.to_string()).unwrap_or_else(|| "null".into()),
        )
        .replace("$SYM", &currency_symbol(currency))
        .replace("$INTERVAL", interval);
    page(&format!("Checkout · {name}"), &format!("{body}{script}"))
}

/// The card form: a same-origin stand-in for Stripe's cross-origin Payment Element iframe.
pub(crate) fn card_frame() -> String {
    let body = r#"<div style="padding:2px 2px 0" data-testid="card-form">
<label for="card-number" style="margin-top:0">Card number</label>
<input id="card-number" name="cardnumber" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" data-elements-stable-field-name="cardNumber" data-testid="card-number" aria-label="Card number">
<div class="row"><div><label for="card-expiry">Expiration date</label>
<input id="card-expiry" name="exp-date" inputmode="numeric" autocomplete="cc-exp" placeholder="MM / YY" data-elements-stable-field-name="cardExpiry" data-testid="card-expiry" aria-label="Expiration date"></div>
<div><label for="card-cvc">Security code</label>
<input id="card-cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" data-elements-stable-field-name="cardCvc" data-testid="card-cvc" aria-label="Security code"></div></div>
</div>"#;
    page(
        "Secure payment input frame",
        &format!("<div style=\"background:#fff\">{body}</div>"),
    )
    .replace("body{", "body{background:#fff!important;")
}

pub(crate) fn confirmation(state: &State, i: usize) -> String {
    let c = &state.checkouts[i];
    let body = format!(
        "<main><section data-testid=\"checkout-confirmation\" data-status=\"{}\"><h1>Thank you!</h1><p>Your purchase of {} is {}.</p></section></main>",
        esc(c.status.as_str()),
        esc(state.product(&c.product_id).map_or("", |p| p.name.as_str())),
        if c.status == CheckoutStatus::Succeeded { "complete" } else { "being processed" }
    );
    page("Order confirmed", &body)
}

fn status_badge(s: &Subscription) -> (&'static str, &'static str) {
    match s.status {
        SubscriptionStatus::Active if s.cancel_at_period_end => ("Canceling", "warn"),
        SubscriptionStatus::Active => ("Active", ""),
        SubscriptionStatus::Trialing => ("Trialing", ""),
        SubscriptionStatus::PastDue => ("Past due", "bad"),
        SubscriptionStatus::Canceled => ("Canceled", "bad"),
        _ => ("Inactive", "bad"),
    }
}

/// One subscription in the portal: product, status, seats, amount, renewal, actions.
fn subscription_card(state: &State, s: &Subscription) -> String {
    let product = state.product(&s.product_id);
    let (label, class) = status_badge(s);
    let interval = product
        .and_then(|p| p.recurring_interval.as_ref())
        .map_or("month", |i| i.as_str());
    let date = |t: chrono::DateTime<chrono::Utc>| t.format("%B %-d, %Y").to_string();
    let renewal = if let Some(ended) = s.ended_at {
        format!("Ended on {}", date(ended))
    } else if s.cancel_at_period_end {
        format!(
            "Ends on {}",
            date(s.ends_at.unwrap_or(s.current_period_end))
        )
    } else {
        format!("Renews on {}", date(s.current_period_end))
    };
    let mut actions = String::new();
    if s.billable() && !s.cancel_at_period_end {
        actions.push_str(&format!("<button type=\"button\" class=\"secondary\" data-testid=\"cancel-subscription\" data-action=\"cancel\" data-id=\"{}\">Cancel subscription</button>", esc(&s.id)));
    }
    if s.billable() && s.cancel_at_period_end {
        actions.push_str(&format!("<button type=\"button\" data-testid=\"uncancel-subscription\" data-action=\"uncancel\" data-id=\"{}\">Uncancel subscription</button>", esc(&s.id)));
    }
    format!(
        r#"<section data-testid="subscription" data-subscription-id="{id}" data-status="{status}" data-cancel-at-period-end="{cape}" style="margin-bottom:16px">
<h2 data-testid="subscription-product">{name}</h2>
<p><span class="badge {class}" data-testid="subscription-status">{label}</span></p>
<p data-testid="subscription-seats" data-seats="{seats_n}">{seats}</p>
<p data-testid="subscription-amount" data-amount="{amount_n}">{amount} / {interval}</p>
<p class="muted" data-testid="subscription-renewal">{renewal}</p>
<div style="display:flex;gap:8px">{actions}</div>
</section>"#,
        id = esc(&s.id),
        status = esc(s.status.as_str()),
        cape = s.cancel_at_period_end,
        name = esc(product.map_or("", |p| p.name.as_str())),
        seats_n = s.seats.unwrap_or(0),
        seats = s
            .seats
            .map(|n| format!("{n} seat{}", if n == 1 { "" } else { "s" }))
            .unwrap_or_default(),
        amount_n = s.amount,
        amount = money(s.amount, &s.currency),
    )
}

/// The portal page's script: cancel/uncancel and saving a card. `$TOKEN` is filled in.
const PORTAL_SCRIPT: &str = r#"<script>
(function(){
  var token = "$TOKEN";
  function show(id, m){ var e=document.getElementById(id); e.textContent=m; e.classList.remove('hidden'); }
  function call(method, path, body){
    return fetch(path, { method: method, headers: {'Content-Type':'application/json','Authorization':'Bearer '+token}, body: JSON.stringify(body) })
      .then(function(r){ return r.json().then(function(j){ return [r.status, j]; }); });
  }
  function done(okMsg){ return function(res){
    if (res[0] >= 200 && res[0] < 300) { sessionStorage.setItem('portal-message', okMsg); location.reload(); }
    else { show('portal-error', typeof res[1].detail === 'string' ? res[1].detail : 'Something went wrong.'); }
  }; }
  document.querySelectorAll('button[data-action]').forEach(function(b){
    b.addEventListener('click', function(){
      b.disabled = true;
      var cancel = b.getAttribute('data-action') === 'cancel';
      call('PATCH', '/v1/customer-portal/subscriptions/' + b.getAttribute('data-id'), { cancel_at_period_end: cancel })
        .then(done(cancel ? 'Your subscription will be canceled at the end of the period.' : 'Your subscription will continue.'));
    });
  });
  document.getElementById('update-pm').addEventListener('click', function(){ document.getElementById('pm-form').classList.remove('hidden'); });
  document.getElementById('save-pm').addEventListener('click', function(){
    var f = document.getElementById('card-frame').contentDocument;
    var card = { number: f.getElementById('card-number').value, expiry: f.getElementById('card-expiry').value, cvc: f.getElementById('card-cvc').value };
    call('POST', '/v1/customer-portal/customers/me/payment-methods', { card: card }).then(done('Payment method updated.'));
  });
  var m = sessionStorage.getItem('portal-message');
  if (m) { sessionStorage.removeItem('portal-message'); show('portal-message', m); }
})();
</script>"#;

/// The customer portal for the session's customer.
pub(crate) fn portal(state: &State, token: &str) -> Option<String> {
    let session = state.session(token)?;
    let customer = state.customer(&session.customer_id)?;
    let mut subs: Vec<&Subscription> = state
        .subscriptions
        .iter()
        .filter(|s| s.customer_id == customer.id)
        .collect();
    subs.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    let mut cards: String = subs.iter().map(|s| subscription_card(state, s)).collect();
    if subs.is_empty() {
        cards.push_str(
            "<section data-testid=\"no-subscriptions\"><p>No subscriptions.</p></section>",
        );
    }
    let pm = customer
        .card
        .as_ref()
        .map(|c| format!("Visa •••• {}", esc(&c.last4)))
        .unwrap_or_else(|| "No payment method".into());
    let body = format!(
        r#"<main data-testid="portal">
<div style="flex:2">
{back}<p class="muted">{org} · Customer portal</p>
<h1>Subscriptions</h1>
<p class="muted" data-testid="portal-customer-email">{email}</p>
{cards}
<div id="portal-message" class="ok hidden" role="status" data-testid="portal-message"></div>
<div id="portal-error" class="error hidden" role="alert" data-testid="portal-error"></div>
</div>
<section aria-label="Payment method" style="flex:1;align-self:flex-start">
<h2>Payment method</h2>
<p data-testid="payment-method">{pm}</p>
<button type="button" class="secondary" data-testid="update-payment-method" id="update-pm">Update payment method</button>
<div id="pm-form" class="hidden" data-testid="payment-method-form">
<iframe id="card-frame" name="card-frame" title="Secure payment input frame" data-testid="card-frame" src="/portal/card-frame"></iframe>
<button type="button" data-testid="save-payment-method" id="save-pm" style="width:100%">Save payment method</button>
</div>
</section>
</main>
"#,
        org = esc(&state.organization.name),
        email = esc(&customer.email),
        back = session
            .return_url
            .as_deref()
            .map(|u| format!(
                "<p><a href=\"{}\" data-testid=\"portal-return\">← Back to {}</a></p>",
                esc(u),
                esc(&state.organization.name)
            ))
            .unwrap_or_default(),
    );
    let script = PORTAL_SCRIPT.replace("$TOKEN", &esc(token));
    Some(page("Customer portal", &format!("{body}{script}")))
}

pub(crate) fn portal_expired() -> String {
    page(
        "Customer portal",
        "<main><section data-testid=\"portal-session-expired\"><h1>Session expired</h1><p>This customer portal link is invalid or has expired.</p></section></main>",
    )
}
