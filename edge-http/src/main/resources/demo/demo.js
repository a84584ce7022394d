// The demo shop: its own cart lives in localStorage, and every change to it is mirrored to Relance
// with the seed 000 calls, the way a real shop's pages would make them.
(function () {
  'use strict';

  var CART_KEY = 'relance_demo_cart';
  var ORDER_KEY = 'relance_demo_order';
  var SHIPPING = { standard: { label: 'Standard delivery', cents: 490 }, express: { label: 'Express delivery', cents: 990 } };
  // Prices in cents, VAT included; one category on purpose named like the segment example.
  var PRODUCTS = [
    { id: 'hdmi-2m', name: 'HDMI cable', detail: '2 m, 4K at 60 Hz', cents: 1290, category: 'Cables', idCategory: 'cables' },
    { id: 'monitor-27', name: '27-inch monitor', detail: 'IPS, 2560 × 1440', cents: 22900, category: 'Screens', idCategory: 'screens' },
    { id: 'keyboard-mx', name: 'Mechanical keyboard', detail: 'AZERTY, brown switches', cents: 8990, category: 'Peripherals', idCategory: 'peripherals' },
    { id: 'mouse-wl', name: 'Wireless mouse', detail: 'Silent buttons', cents: 2450, category: 'Peripherals', idCategory: 'peripherals' },
    { id: 'hub-usbc', name: 'USB-C hub', detail: '7 ports', cents: 3990, category: 'Accessories', idCategory: 'accessories' },
    { id: 'webcam-hd', name: 'HD webcam', detail: '1080p, privacy shutter', cents: 5900, category: 'Peripherals', idCategory: 'peripherals' }
  ];

  function product(id) {
    return PRODUCTS.filter(function (p) { return p.id === id; })[0];
  }
  function money(cents) {
    return (cents / 100).toFixed(2);
  }
  function euros(cents) {
    return money(cents).replace('.', ',') + ' €';
  }
  function randomId(prefix) {
    return prefix + (crypto.randomUUID ? crypto.randomUUID().slice(0, 8) : Math.random().toString(36).slice(2, 10));
  }
  function load(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }
  function save(key, value) {
    if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(value));
  }
  function cartTotal(cart) {
    return cart.lines.reduce(function (sum, l) { return sum + product(l.id).cents * l.qty; }, 0);
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  // ---- tracking: the demo keeps working if the tracker could not load
  var sentNow = [];
  function track(fn, args) {
    var relance = window.Relance;
    if (relance && typeof relance[fn] === 'function') relance[fn](args);
    sentNow.push(fn);
    var out = document.getElementById('tracked');
    if (out) out.textContent = 'Sent to Relance: ' + sentNow.join(', ');
  }
  function beginTracking() {
    sentNow = [];
  }
  function submitCart(cart) {
    track('UpdateCart', { idCart: cart.id, status: cart.status, TotalPrice: money(cartTotal(cart)) });
    track('SubmitCart');
  }

  // ---- shop actions
  function addToCart(id) {
    var cart = load(CART_KEY);
    var p = product(id);
    beginTracking();
    if (!cart) {
      cart = { id: randomId('demo-'), lines: [], status: 'SelectProducts' };
      track('AddCart', { idCart: cart.id, status: cart.status, TotalPrice: '0.00' });
    }
    cart.status = 'SelectProducts';
    var line = cart.lines.filter(function (l) { return l.id === id; })[0];
    if (line) {
      line.qty += 1;
      track('UpdateCartItem', { idCart: cart.id, idProduct: id, quantity: line.qty });
    } else {
      cart.lines.push({ id: id, qty: 1 });
      track('AddCartItem', { idCart: cart.id, idProduct: id, productName: p.name, category: p.category,
        idCategory: p.idCategory, priceunit: money(p.cents), quantity: 1 });
    }
    save(CART_KEY, cart);
    submitCart(cart);
    renderCartLink();
    announce(p.name + ' added to your cart.');
  }

  function setQuantity(id, qty) {
    var cart = load(CART_KEY);
    if (!cart) return;
    beginTracking();
    cart.status = 'SelectProducts';
    if (qty <= 0) {
      cart.lines = cart.lines.filter(function (l) { return l.id !== id; });
      track('RemoveCartItem', { idCart: cart.id, idProduct: id });
    } else {
      cart.lines.forEach(function (l) { if (l.id === id) l.qty = qty; });
      track('UpdateCartItem', { idCart: cart.id, idProduct: id, quantity: qty });
    }
    save(CART_KEY, cart);
    submitCart(cart);
  }

  function announce(text) {
    var out = document.getElementById('announce');
    if (out) out.textContent = text;
  }

  function renderCartLink() {
    var cart = load(CART_KEY);
    var count = cart ? cart.lines.reduce(function (n, l) { return n + l.qty; }, 0) : 0;
    var link = document.getElementById('cart-link');
    if (link) link.textContent = 'Cart (' + count + ')';
  }

  // ---- pages
  function productList() {
    var list = document.getElementById('products');
    PRODUCTS.forEach(function (p) {
      list.appendChild(el('li', { class: 'product' }, [
        el('h2', { text: p.name }),
        el('p', { class: 'detail', text: p.detail + ' · ' + p.category }),
        el('p', { class: 'price', text: euros(p.cents) }),
        el('button', { type: 'button', 'aria-label': 'Add ' + p.name + ' to cart', text: 'Add to cart',
          onclick: function () { addToCart(p.id); } })
      ]));
    });
  }

  function cartPage() {
    var cart = load(CART_KEY);
    var body = document.getElementById('lines');
    var totalOut = document.getElementById('total');
    var checkout = document.getElementById('to-checkout');
    function render() {
      cart = load(CART_KEY);
      body.textContent = '';
      var empty = !cart || !cart.lines.length;
      document.getElementById('empty').hidden = !empty;
      document.getElementById('cart-table').hidden = empty;
      checkout.hidden = empty;
      if (empty) return;
      cart.lines.forEach(function (l) {
        var p = product(l.id);
        var input = el('input', { type: 'number', min: '0', max: '99', value: String(l.qty), id: 'qty-' + p.id,
          'aria-label': 'Quantity of ' + p.name,
          onchange: function () {
            var q = parseInt(input.value, 10);
            setQuantity(p.id, isNaN(q) ? 0 : Math.min(q, 99));
            render();
            renderCartLink();
          } });
        body.appendChild(el('tr', {}, [
          el('th', { scope: 'row', text: p.name }),
          el('td', { text: euros(p.cents) }),
          el('td', {}, [input]),
          el('td', { text: euros(p.cents * l.qty) }),
          el('td', {}, [el('button', { type: 'button', 'aria-label': 'Remove ' + p.name, text: 'Remove',
            onclick: function () { setQuantity(p.id, 0); render(); renderCartLink(); announce(p.name + ' removed.'); } })])
        ]));
      });
      totalOut.textContent = euros(cartTotal(cart));
    }
    render();
  }

  function checkoutPage() {
    var cart = load(CART_KEY);
    var form = document.getElementById('checkout-form');
    if (!cart || !cart.lines.length) {
      document.getElementById('empty').hidden = false;
      form.hidden = true;
      return;
    }
    document.getElementById('summary').textContent = cart.lines.length + ' product(s), ' + euros(cartTotal(cart));
    beginTracking();
    cart.status = 'CheckOutStep';
    save(CART_KEY, cart);
    submitCart(cart);

    var email = document.getElementById('email');
    var firstName = document.getElementById('first-name');
    var identified = '';
    function identify() {
      var who = email.value.trim() + '|' + firstName.value.trim();
      if (!email.value || !email.checkValidity() || who === identified) return;
      identified = who;
      var args = { email: email.value.trim() };
      if (firstName.value.trim()) args.firstName = firstName.value.trim();
      track('Identify', args);
    }
    email.addEventListener('change', identify);
    firstName.addEventListener('change', identify);

    Array.prototype.forEach.call(form.elements.shipping, function (radio) {
      radio.addEventListener('change', function () {
        beginTracking();
        cart.status = 'ValidateShippingStep';
        save(CART_KEY, cart);
        submitCart(cart);
      });
    });

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (!form.reportValidity()) return;
      identify();
      var shipping = SHIPPING[form.elements.shipping.value];
      save(ORDER_KEY, {
        idTransaction: randomId('order-'),
        idCart: cart.id,
        lines: cart.lines,
        shippingCents: shipping.cents
      });
      location.href = 'thankyou.html';
    });
  }

  function thankYouPage() {
    var order = load(ORDER_KEY);
    if (!order) {
      document.getElementById('no-order').hidden = false;
      return;
    }
    var revenue = order.lines.reduce(function (sum, l) { return sum + product(l.id).cents * l.qty; }, 0);
    // Prices include 20 % VAT: the tax is the VAT part of the goods.
    var tax = revenue - Math.round(revenue / 1.2);
    beginTracking();
    track('AddTransaction', { idTransaction: order.idTransaction, idCart: order.idCart, affiliation: 'Relance demo shop',
      revenue: money(revenue), tax: money(tax), shipping: money(order.shippingCents) });
    order.lines.forEach(function (l) {
      var p = product(l.id);
      track('AddItem', { idTransaction: order.idTransaction, productName: p.name, idProduct: p.id, category: p.category,
        idCategory: p.idCategory, Price_unit: money(p.cents), Price_total: money(p.cents * l.qty), quantity: l.qty });
    });
    track('SubmitTransaction');
    // The next visit starts a fresh cart; a reload must not report the purchase again.
    save(ORDER_KEY, null);
    save(CART_KEY, null);
    renderCartLink();
    document.getElementById('order-id').textContent = order.idTransaction;
    document.getElementById('order-total').textContent = euros(revenue + order.shippingCents);
    document.getElementById('order').hidden = false;
    document.body.dataset.transaction = order.idTransaction;
    document.body.dataset.tracked = 'true';
  }

  var pages = { products: productList, cart: cartPage, checkout: checkoutPage, thankyou: thankYouPage };
  renderCartLink();
  pages[document.body.dataset.page]();
})();
