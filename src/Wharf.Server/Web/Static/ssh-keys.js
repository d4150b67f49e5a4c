// The "Add key" form on /account/ssh-keys. Two things happen here, in the browser, before anything is sent:
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

  function show() {
    var text = key.value;
    if (isPrivate(text)) {
      refusal.textContent = REFUSAL;
      refusal.hidden = false;
      typeNote.textContent = "";
    } else {
      refusal.hidden = true;
      refusal.textContent = "";
      typeNote.textContent = describe(text);
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
