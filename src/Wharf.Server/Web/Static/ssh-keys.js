// The "Add key" form on /account/ssh-keys and the set-up guide. Two things happen here, in the browser, before anything is sent:
//  - a private key is refused, so it never reaches the server (the server refuses one too, but by then it
//    would have travelled);
//  - the first word of the pasted text is shown as the key type, so a wrong paste is seen early.
// The server remains the judge of what a key is: this is a courtesy, not a check.
(function () {
  "use strict";
  var form = document.getElementById("add-key");
  if (!form) return;
  var key = document.getElementById("key-text");
  var refusal = document.getElementById("key-refusal");
  var typeNote = document.getElementById("key-type");

  var REFUSAL = "This is a private key. It was not sent: paste the public key instead (the .pub file, " +
    "or PuTTYgen's \"Public key for pasting into OpenSSH authorized_keys file\").";

  function isPrivate(text) {
    return text.indexOf("PRIVATE KEY-----") >= 0 || text.replace(/^\s+/, "").indexOf("PuTTY-User-Key-File-") === 0;
  }

  function describe(text) {
    var t = text.replace(/^\s+/, "");
    if (t === "") return "";
    if (t.indexOf("---- BEGIN SSH2 PUBLIC KEY ----") === 0) return "Looks like an RFC 4716 (PuTTYgen) public key.";
    if (t.indexOf("-----BEGIN") === 0) return "Looks like a PEM public key.";
    var m = /^(?:\S+\s+)*?((?:ssh|ecdsa|sk-ssh|sk-ecdsa)-[A-Za-z0-9@.-]+)\s/.exec(t + " ");
    return m ? "Key type as typed: " + m[1] : "";
  }

  // What the server's own parser makes of the text (type, bits, fingerprint, or its exact refusal), asked
  // shortly after typing stops. Never for a private key: that is refused above and never leaves the page.
  var preview = document.getElementById("key-preview");
  var timer = null, asked = 0;
  function askServer(text) {
    var n = ++asked;
    if (!preview) return;
    if (text.replace(/\s+/g, "") === "" || isPrivate(text)) { preview.textContent = ""; return; }
    var body = new FormData();
    body.append("key", text);
    body.append("__RequestVerificationToken", form.querySelector("input[name=__RequestVerificationToken]").value);
    fetch(form.getAttribute("action") + "/preview", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (n !== asked || !p) return;
        preview.className = p.ok ? "note" : "error";
        preview.textContent = p.ok
          ? "Understood: " + p.key_type + ", " + p.bits + " bits, " + p.fingerprint + (p.options_dropped ? " (authorized_keys options will be dropped)" : "")
          : p.message;
      })
      .catch(function () { /* the server judges again on Add key */ });
  }

  function show() {
    var text = key.value;
    if (isPrivate(text)) {
      asked++;
      if (timer) clearTimeout(timer);
      if (preview) preview.textContent = "";
      refusal.textContent = REFUSAL;
      refusal.hidden = false;
      typeNote.textContent = "";
      // A private key must not stay on the page (nor be sent by a later click): clear it.
      key.value = "";
    } else if (text.replace(/\s+/g, "") !== "" || refusal.hidden) {
      refusal.hidden = true;
      refusal.textContent = "";
      typeNote.textContent = describe(text);
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () { askServer(key.value); }, 300);
    }
  }

  key.addEventListener("input", show);
  form.addEventListener("submit", function (event) {
    if (isPrivate(key.value)) {
      event.preventDefault();
      show();
      key.focus();
    }
  });
})();

// The set-up guide's last step: after a key is added, ask its status every few seconds until it has logged in
// (or for ten minutes), and say so. Without script the "Check again" link reloads the page with the same answer.
(function () {
  "use strict";
  var watch = document.querySelector("[data-status-url]");
  if (!watch) return;
  var url = watch.getAttribute("data-status-url");
  var status = document.getElementById("key-status");
  var again = document.getElementById("check-again");
  var EVERY = 3000, TRIES = 200;
  var tries = 0;
  function ask() {
    if (++tries > TRIES) return;
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.used) {
          status.textContent = s.message;
          status.className = "notice notice-success";
          if (again) again.parentNode.hidden = true;
          return;
        }
        setTimeout(ask, EVERY);
      })
      .catch(function () { setTimeout(ask, EVERY); });
  }
  setTimeout(ask, EVERY);
})();
