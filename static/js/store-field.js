// The sign-in page's store field (a chain's whole list): as the person types or taps a
// suggestion, the line under the field names the store the text stands for, whole, or
// says none is chosen yet. The server resolves the text the same way (a code in any
// case, the Russian layout, a name); this only shows it early.
(function () {
  "use strict";
  var field = document.querySelector("[data-store-field]");
  var out = document.querySelector("[data-store-name]");
  if (!field || !out || !field.list) return;
  // The keyboard layouts' keys, from the server's one table (picking/keyboard.py).
  var RU = field.getAttribute("data-keys-russian") || "";
  var EN = field.getAttribute("data-keys-latin") || "";
  function latin(text) {
    return text.replace(/[^\x00-\x7f]/g, function (ch) {
      var i = RU.indexOf(ch);
      return i < 0 ? ch : EN.charAt(i);
    });
  }
  function find(text) {
    var wanted = text.trim().replace(/\s+/g, " ").toLowerCase();
    if (!wanted) return null;
    var options = field.list.options, named = [], i, code, name;
    for (i = 0; i < options.length; i++) {
      code = options[i].value.toLowerCase();
      if (code === wanted || code === latin(wanted).toLowerCase()) return options[i];
    }
    for (i = 0; i < options.length && wanted.length >= 3; i++) {
      name = options[i].textContent.replace(/\s+/g, " ").trim().toLowerCase();
      if (name === wanted) return options[i];
      if (name.indexOf(wanted) >= 0) named.push(options[i]);
    }
    return named.length === 1 ? named[0] : null;
  }
  function show() {
    var option = find(field.value);
    out.textContent = "";
    if (option) {  // as the page writes it: the name, then the code
      var code = document.createElement("span");
      code.className = "muted nowrap";
      code.setAttribute("translate", "no");
      code.textContent = option.value;
      out.append(option.textContent.trim() + " ", code);
    } else {
      var none = document.createElement("span");
      none.className = "muted";
      none.textContent = out.getAttribute("data-none");
      out.appendChild(none);
    }
  }
  field.addEventListener("input", show);
  field.addEventListener("change", show);
})();
