  // Polar's money formatting (hosted/money.rs, which checks this function against itself and
  // against Intl): `style` is money::Style — {symbol, decimals, drop_zero_fraction}.
  function formatMoney(cents, style) {
    var units = Math.abs(cents), whole = units, fraction = '';
    if (style.decimals === 2) {
      whole = Math.floor(units / 100);
      var c = units % 100;
      if (!(style.drop_zero_fraction && c === 0)) fraction = '.' + (c < 10 ? '0' : '') + c;
    }
    var digits = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return (cents < 0 ? '-' : '') + style.symbol + digits + fraction;
  }
