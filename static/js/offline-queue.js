/* The offline queue: no picker action is lost, none is counted twice.
 *
 * Every action on the pick page (scan field, camera, quantity, weight, undo,
 * missing) is written to IndexedDB on this phone, with its own scan id and the
 * moment it was made. Online with nothing waiting, the write and the post start
 * together, in the same task (a page closed right after has either the record or
 * the post on its way); otherwise the write lands first and the scan waits its
 * turn. It leaves the queue only when the server has answered it (a response
 * carrying X-Scan-Outcome, accepted or refused, or any other 2xx/4xx) and its
 * write has landed: a write that lands after the answer is deleted then, not
 * left to be replayed. A network failure, a timeout or a 5xx keeps it queued and
 * it is tried again (on `online`, on page load, on a timer with backoff), one at
 * a time and in the order made. Two tabs share the queue; a lock (Web Locks, or
 * a lease held in IndexedDB) lets one of them replay at a time, and the server
 * ignores a scan id it has already answered anyway.
 *
 * The picker sees a banner while offline or while anything waits, an honest
 * "recorded on this phone, not counted yet" for each scan that could not be
 * sent (with whether its code is on this order as far as the page knows), and
 * the server's answer for each of them once they are sent. The page saves a
 * copy of itself (the Cache API) so a reload without signal still shows it;
 * the service worker serves that copy.
 */
(function () {
  "use strict";
  var box = document.getElementById("offline-status");
  if (!box || !window.indexedDB || !window.fetch) return;
  var USER = box.dataset.user;
  var ORDER = Number(box.dataset.order);
  var T = json("offline-texts");
  var CODES = json("order-codes");
  var TAB = newId();
  // The pick page's actions, and a run's one scan field (items and puts into totes).
  var ACTION = /^\/pick\/(?:runs\/)?(\d+)\/(scan|undo|lines\/(\d+)\/(weight|short))$/;
  var PAGES = "storepick-pages";
  var channel = window.BroadcastChannel ? new BroadcastChannel("storepick-queue") : null;
  var plural = window.Intl && Intl.PluralRules ? new Intl.PluralRules(box.dataset.lang) : null;
  var countLine = box.querySelector(".offline-status__count");
  var stateLine = box.querySelector(".offline-status__state");
  var answers = box.querySelector(".offline-status__answers");
  var answerList = answers.querySelector("ul");
  var savedAt = box.getAttribute("data-saved-at");
  var st = { pending: 0, backoff: 0, timer: null, draining: false, flying: 0, wanted: false,
             failing: "", signin: false, note: "" };
  // scan id -> { elt, entry, written? }: made here and sent at once (its answer is the usual
  // banner). With `written` (a promise of its key), it was sent alongside its write.
  var live = {};
  var settling = {};  // scan id -> true: answered, its record not deleted yet (never sent again)
  var recent = {};  // double-tap guard for buttons
  var lines = {};   // line id -> what the page knows of it
  (CODES.lines || []).forEach(function (l) { lines[l.id] = l; });

  function json(id) {
    var el = document.getElementById(id);
    try { return JSON.parse(el.textContent) || {}; } catch (e) { return {}; }
  }

  function newId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] === undefined ? m : values[k];
    });
  }

  function play(kind) { if (window.storepickFeedback) window.storepickFeedback.play(kind); }

  /* -- IndexedDB: "queue" (seq -> entry, in the order made) and "meta" (the lease) -- */
  var dbPromise = null;
  var handle = null;  // the database once open (opened once per page): a write can start at once
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("storepick-offline", 2);
        req.onupgradeneeded = function () {
          var names = req.result.objectStoreNames;
          if (!names.contains("queue")) {
            req.result.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
          }
          if (!names.contains("meta")) req.result.createObjectStore("meta");
        };
        req.onsuccess = function () {
          var d = req.result;
          // Closed under us (a newer version elsewhere, storage cleared): open again when needed.
          d.onversionchange = function () { d.close(); forget(d); };
          d.onclose = function () { forget(d); };
          handle = d;
          resolve(d);
        };
        req.onerror = function () { dbPromise = null; reject(req.error); };
      });
    }
    return dbPromise;
  }

  function forget(d) {
    if (handle === d) { handle = null; dbPromise = null; }
  }

  // Adds an entry to the queue, starting the transaction now (in the caller's task) and asking
  // it to commit at once; resolves with its key once the write has landed. Needs the open database.
  function write(entry, durability) {
    return new Promise(function (resolve, reject) {
      var tx = handle.transaction("queue", "readwrite", { durability: durability });
      var req = tx.objectStore("queue").add(entry);
      req.onsuccess = function () { entry.seq = req.result; };
      tx.oncomplete = function () { resolve(entry.seq); };
      tx.onerror = tx.onabort = function () { reject(tx.error); };
      if (tx.commit) tx.commit();
    });
  }

  function run(store, mode, fn, durability) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(store, mode, { durability: durability || "default" });
        var req = fn(tx.objectStore(store));
        var result;
        if (req) req.onsuccess = function () { result = req.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  // This picker's waiting entries, in the order made. A scan being sent alongside its write, or
  // answered and about to be deleted, is not waiting.
  function mine() {
    return run("queue", "readonly", function (s) { return s.getAll(); }).then(function (all) {
      return all.filter(function (e) {
        var id = e.fields && e.fields.scan_id;
        return e.user === USER && !settling[id] && !(live[id] && live[id].written);
      });
    });
  }

  /* -- one replayer at a time across tabs -- */
  function withLock(fn) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("storepick-replay", { ifAvailable: true }, function (lock) {
        return lock ? fn().then(function () { return true; }) : false;
      });
    }
    return lease(30000).then(function (got) {
      if (!got) return false;
      return fn().then(function () { return lease(0); }, function () { return lease(0); })
        .then(function () { return true; });
    });
  }

  function lease(ms) {  // take or renew (ms > 0) or give back (0) the replay lease
    var now = Date.now();
    var got = false;
    return run("meta", "readwrite", function (s) {
      var req = s.get("lease");
      req.onsuccess = function () {
        var held = req.result;
        if (!held || held.until < now || held.tab === TAB) {
          s.put({ tab: TAB, until: ms ? now + ms : 0 }, "lease");
          got = true;
        }
      };
    }).then(function () { return got; }, function () { return false; });
  }

  /* -- what the phone knows of the order -- */
  function plain(code) { return String(code).replace(/^\][A-Za-z]\d/, ""); }

  // A barcode of 8, 12, 13 or 14 digits (a shop's scale label too) whose GS1 check digit is
  // wrong: a misread or a typo, refused by the server all the same. Said now, not later.
  function badCheckDigit(code) {
    var c = plain(code);
    if (!/^(\d{8}|\d{12,14})$/.test(c)) return false;
    var sum = 0;
    for (var i = c.length - 2, weight = 3; i >= 0; i--, weight = 4 - weight) sum += weight * +c[i];
    return (10 - sum % 10) % 10 !== +c[c.length - 1];
  }

  function lineFor(code) {
    var c = plain(code);
    var m = /^01(\d{14})/.exec(c);
    var gtin = m ? m[1] : (/^(\d{8}|\d{12,14})$/.test(c) ? ("0000000" + c).slice(-14) : null);
    var plu = null;
    var pattern = CODES.pattern || "";
    if (c.length === 13 && /^\d+$/.test(c) && (CODES.prefixes || []).indexOf(c.slice(0, 2)) >= 0) {
      var start = pattern.indexOf("I");
      plu = start < 0 ? null : Number(c.slice(start, start + pattern.split("I").length - 1));
    }
    for (var id in lines) {
      var l = lines[id];
      if ((gtin && l.gtins.indexOf(gtin) >= 0) || (plu !== null && l.plu && Number(l.plu) === plu)) {
        return l;
      }
    }
    return null;
  }

  function pickedNow(line) {  // the line on screen, if it says more than the page was built with
    var el = document.getElementById("line-" + line.id);
    var strong = el && el.querySelector(".line__qty strong");
    var shown = strong ? parseInt(strong.textContent, 10) : NaN;
    return isNaN(shown) ? line.picked : shown;
  }

  /* -- the banner -- */
  function render() {
    var offline = navigator.onLine === false;
    var n = st.pending;
    var waiting = T.waiting || {};
    countLine.textContent = n ? fill(waiting[plural ? plural.select(n) : "other"] ||
                                     waiting.other, { n: n }) : "";
    countLine.hidden = !n;
    var state = st.note || (offline ? T.offline : st.signin ? T.signin
      : st.failing === "server" ? T.server : st.failing ? T.unreachable : n ? T.sending : "");
    if (savedAt && (offline || st.failing)) {
      state = (state ? state + " " : "") + fill(T.saved, {
        time: new Date(Number(savedAt)).toLocaleTimeString(box.dataset.lang,
                                                          { hour: "2-digit", minute: "2-digit" }) });
    }
    stateLine.textContent = state || "";
    stateLine.hidden = !state;
    answers.hidden = !answerList.children.length;
    var show = Boolean(offline || n || state || !answers.hidden);
    if (show && box.hidden) play("queued");
    box.hidden = !show;
    box.classList.toggle("offline-status--offline", offline || Boolean(st.failing));
  }

  function refresh() {
    return mine().then(function (entries) { st.pending = entries.length; render(); },
                       function () { render(); });
  }

  var painted = 0;  // the newest local banner wins, even if an older one is computed later

  function showQueued(entry) {
    var token = ++painted;
    var line = entry.line ? lines[entry.line] : null;
    var name = line ? line.name : "";
    var detail;
    var kind = "queued";
    if (entry.kind === "scan") {
      if (badCheckDigit(entry.label)) {
        detail = fill(T.queued_digit, { code: entry.label });
        kind = "warn";
      } else if (line && line.marked && /^(\d{8}|\d{12,14})$/.test(plain(entry.label))) {
        detail = fill(T.queued_marked, { name: name });  // a marked unit counts by its own code
        kind = "warn";
      } else if (!line) {
        detail = fill(T.queued_unknown, { code: entry.label });
        kind = "warn";
      } else if (!line.weighed) {
        return mine().then(function (entries) {
          var have = pickedNow(line);
          entries.forEach(function (e) {
            if (e.order === entry.order && e.kind === "scan" && e.line === line.id) have += e.qty;
          });
          var over = have > line.need;
          paint(over ? "warn" : "queued",
                fill(over ? T.queued_over : T.queued_match, { name: name, have: have, need: line.need }),
                token);
        });
      } else {
        detail = fill(T.queued_match, { name: name });
      }
    } else {
      detail = fill(T["queued_" + entry.kind], { name: name });
    }
    paint(kind, detail, token);
    return Promise.resolve();
  }

  function paint(kind, detail, token) {
    var target = document.getElementById("scan-feedback");
    if (!target || token !== painted) return;
    var div = document.createElement("div");
    div.className = "feedback feedback--queued is-new" + (kind === "warn" ? " feedback--queued-warn" : "");
    div.setAttribute("role", "status");
    div.setAttribute("data-feedback-local", kind);
    var title = document.createElement("p");
    title.className = "feedback__text";
    title.textContent = T.queued_title;
    var more = document.createElement("p");
    more.className = "feedback__detail";
    more.textContent = detail;
    div.appendChild(title);
    div.appendChild(more);
    target.replaceChildren(div);
    play(kind);
  }

  function addAnswer(outcome, text) {
    var li = document.createElement("li");
    li.className = "offline-status__answer offline-status__answer--" + outcome;
    li.textContent = (outcome === "accepted" ? "✓ " : "✗ ") + text;
    answerList.appendChild(li);
  }

  /* -- sending -- */
  var token = { attr: null, value: "" };
  function csrf() {  // parsed again only when the page's token changes (renewToken)
    var attr = document.body.getAttribute("hx-headers");
    if (attr !== token.attr) {
      token.attr = attr;
      try { token.value = JSON.parse(attr)["x-csrftoken"] || ""; } catch (e) { token.value = ""; }
    }
    return token.value;
  }

  function renewToken() {
    return fetch(location.pathname, { credentials: "same-origin" }).then(function (res) {
      return res.text();
    }).then(function (text) {
      var fresh = new DOMParser().parseFromString(text, "text/html").body;
      var headers = fresh && fresh.getAttribute("hx-headers");
      if (headers) document.body.setAttribute("hx-headers", headers);
    }).catch(function () {});
  }

  function schedule(ms) {
    clearTimeout(st.timer);
    if (ms === undefined) ms = st.backoff = Math.min(30000, st.backoff ? st.backoff * 2 : 1000);
    st.timer = setTimeout(drain, ms);
  }

  function idOf(entry) { return entry.fields.scan_id; }

  function drain() {
    if (st.draining || st.flying) {  // a replay running, or a scan being sent: look again after
      st.wanted = true;
      return Promise.resolve();
    }
    st.draining = true;
    st.wanted = false;
    clearTimeout(st.timer);
    function loop() {
      return mine().then(function (entries) {
        st.pending = entries.length;
        render();
        // Offline for sure: nothing to try until the browser says "online".
        if (!entries.length || st.signin || navigator.onLine === false) return null;
        return next(entries, 0);
      });
    }
    function next(entries, i) {  // in the order made; read again once through (more may have come)
      if (i >= entries.length) return loop();
      return send(entries[i]).then(function (result) {
        if (result === "answered") return next(entries, i + 1);
        return result === "again" ? next(entries, i) : null;
      });
    }
    var before = answerList.children.length;
    return withLock(loop).then(function (ran) {
      if (!ran) schedule(700);  // another tab is replaying: look again shortly
    }).catch(function () { schedule(); }).then(function () {
      return refresh();
    }).then(function () {
      done();
      // The answers for scans sent late go on the banner: bring it into view once they are in.
      if (answerList.children.length > before && !st.pending) {
        setTimeout(function () { box.scrollIntoView({ block: "nearest" }); }, 50);
      }
    });
  }

  function done() {  // the replay is over: anything asked for meanwhile goes next
    st.draining = false;
    if (st.wanted) drain();
  }

  // Online and nothing waiting: the write and the post start together, here, in the caller's
  // task. Waiting for the write to land before posting was most of what the queue added to a
  // scan on a slow phone; this way a page closed right after still has the record (its
  // transaction is started and asked to commit) or the post on its way. Until it is answered
  // the queue waits behind it (st.flying), so the order made is kept. Its record is deleted
  // once both the answer is in and the write has landed (answered); if the post fails, the
  // record is kept and replayed (parkAll).
  function sendAtOnce(entry, elt) {
    var written = write(entry, "relaxed").catch(function () { return null; });
    st.flying += 1;
    live[idOf(entry)] = { elt: elt, entry: entry, written: written };
    function attempt() {
      return send(entry).then(function (result) { return result === "again" ? attempt() : result; });
    }
    attempt().catch(function () {}).then(function () {
      st.flying -= 1;
      if (st.wanted) drain();
    });
  }

  function send(entry) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, 20000);
    return fetch(entry.url, {
      method: "POST", body: new URLSearchParams(entry.fields), credentials: "same-origin",
      signal: ctl.signal,
      headers: { "HX-Request": "true", "X-CSRFToken": csrf(), "HX-Current-URL": location.href },
    }).then(function (res) {
      clearTimeout(timer);
      var outcome = res.headers.get("X-Scan-Outcome");
      var redirect = res.headers.get("HX-Redirect") || "";
      if (res.status >= 500) return failed(entry, "server");
      if (!outcome && res.status === 403 && !st.renewed) {
        // Not an answer about the scan: most likely the page's CSRF token outlived its
        // cookie (a saved copy after a browser restart). Fetch a fresh one and go on.
        st.renewed = true;
        return renewToken().then(function () { return "again"; });
      }
      if (!outcome && (res.status === 401 || res.status === 403 || redirect.indexOf("/login") === 0 ||
                       /\/login$/.test(new URL(res.url).pathname))) {
        st.signin = true;  // no answer about the scan: keep it until the picker signs in again
        parkAll();
        return "signin";
      }
      return res.text().then(function (html) {
        return answered(entry, outcome || "refused", html, redirect);
      });
    }, function () {
      clearTimeout(timer);
      return failed(entry, "network");
    });
  }

  function failed(entry, why) {
    st.failing = why;
    parkAll();
    schedule();
    render();
    return "retry";
  }

  function parkAll() {  // made here to be sent at once, but not answered: from now on they wait
    Object.keys(live).forEach(function (id) {
      var held = live[id];
      var entry = held.entry;
      busy(held.elt, -1);
      delete live[id];
      // Sent alongside its write: it waits now, so it counts as waiting.
      if (held.written) st.pending += 1;
      // From now on it waits: make sure it is on disk, not just in the OS's buffers (once the
      // first write has landed, so this replaces it; if that write failed, this one is the record).
      (held.written || Promise.resolve(entry.seq)).then(function (seq) {
        if (seq === null || seq === undefined || seq < 0) delete entry.seq;
        return run("queue", "readwrite", function (s) { return s.put(entry); }, "strict");
      }).catch(function () {});
      showQueued(entry);
    });
    snapshot();
  }

  function answered(entry, outcome, html, redirect) {
    st.failing = "";
    st.renewed = false;
    st.backoff = 0;
    var held = live[idOf(entry)];
    var note = { seq: entry.seq, tab: entry.tab, order: entry.order, outcome: outcome, html: html,
                 redirect: redirect, label: entry.label, kind: entry.kind, late: !held };
    if (held) busy(held.elt, -1);
    delete live[idOf(entry)];
    // A scan sent alongside its write was never counted as waiting; any other was.
    if (!held || !held.written) st.pending = Math.max(0, st.pending - 1);
    if (held && held.written) {
      // Sent alongside its write: deleted once that write has landed (a write landing after the
      // answer must not stay behind to be replayed), meanwhile not counted nor sent again. An
      // answer that leaves the page waits for the delete, so nothing is left behind.
      var id = idOf(entry);
      settling[id] = true;
      note.redirect = "";
      show(note, true);
      held.written.then(function (seq) {
        if (seq === null || seq === undefined) return null;
        return run("queue", "readwrite", function (s) { return s.delete(seq); }, "relaxed");
      }).catch(function () {}).then(function () {
        delete settling[id];
        if (channel) channel.postMessage({ changed: true });
        if (redirect) location.href = redirect;
      });
      return Promise.resolve("answered");
    }
    // Shown at once; if the phone dies before the delete, the replay is answered the same
    // way (the server knows the scan id) and shown again, never counted again.
    show(note, true);
    return run("queue", "readwrite", function (s) { return s.delete(entry.seq); }, "relaxed")
      .then(function () {
        if (channel) channel.postMessage(note);
        return "answered";
      });
  }

  function show(note, mineToShow) {
    if (!mineToShow && note.tab !== TAB) return;
    var html = String(note.html || "");
    if (note.order === ORDER && html.indexOf('id="run-body"') >= 0 && window.htmx
        && document.getElementById("run-body")) {
      htmx.swap("#run-body", html, { swapStyle: "outerHTML" });  // a run: its whole body
    } else if (note.order === ORDER && html.indexOf('id="scan-feedback"') >= 0 && window.htmx) {
      htmx.swap("#scan-feedback", html, { swapStyle: "outerHTML" });
    }
    if (note.late) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var feedback = doc.querySelector("#scan-feedback .feedback");
      var text = feedback ? feedback.textContent.replace(/\s+/g, " ").trim()
        : (doc.title || String(note.outcome));
      if (note.kind === "scan" && note.outcome !== "accepted" && text.indexOf(note.label) < 0) {
        text = note.label + " — " + text;
      }
      addAnswer(note.outcome, text);
      render();
    } else if (note.redirect) {
      location.href = note.redirect;
    }
    clearTimeout(show.timer);
    show.timer = setTimeout(snapshot, 1500);
  }

  /* -- taking actions -- */
  function submit(url, fields, label, elt) {
    var m = ACTION.exec(url.split("?")[0]);
    if (!m) return false;
    busy(elt, 1);  // "the tap registered", as htmx marks a form while it posts
    var kind = m[2] === "scan" || m[2] === "undo" ? m[2] : m[4];
    var at = Date.now();
    var line = kind === "scan" ? lineFor(fields.code || "") : (m[3] ? lines[m[3]] : null);
    var entry = {
      user: USER, order: Number(m[1]), tab: TAB, kind: kind, url: url, at: at, line: line ? line.id : null,
      qty: parseInt(fields.quantity, 10) || 1, label: label || fields.code || "", fields: fields,
    };
    fields.scan_id = newId();
    fields.scanned_at = String(at);
    var offline = navigator.onLine === false || st.failing === "network";
    if (!offline && handle && !st.pending && !st.draining && !st.flying && !st.failing && !st.signin) {
      sendAtOnce(entry, elt);
      return true;
    }
    run("queue", "readwrite", function (s) { return s.add(entry); }, offline ? "strict" : "relaxed")
      .then(function (seq) {
        entry.seq = seq;
        st.pending += 1;
        if (channel) channel.postMessage({ changed: true });
        if (offline) {
          busy(elt, -1);
          render();
          showQueued(entry);
          snapshot();
          if (navigator.onLine !== false) schedule(st.backoff || 1000);
          return null;
        }
        live[idOf(entry)] = { elt: elt, entry: entry };
        return drain();  // after what waits before it, in the order made
      }, function () {
        // IndexedDB refused the write (storage full, private mode): send it at once, unqueued.
        entry.seq = -at;
        live[idOf(entry)] = { elt: elt, entry: entry, written: Promise.resolve(null) };
        return send(entry);
      });
    return true;
  }

  function busy(elt, step) {
    if (!elt || !elt.classList) return;
    elt.spBusy = (elt.spBusy || 0) + step;
    elt.classList.toggle("htmx-request", elt.spBusy > 0);
  }

  window.storepickQueue = {
    scan: function (url, code, quantity, form) {
      return submit(url, { code: code, quantity: String(quantity || "1") }, code, form);
    },
  };

  /* Forms of the pick page that record something go through the queue. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!window.htmx || form.id === "scan-form") return;  // scan.js hands that one over
    var url = form.getAttribute("hx-post") || form.getAttribute("action") || "";
    if (/\/finish$/.test(url)) {
      // A scan still being sent counts too: the order is not finished ahead of it.
      var note = navigator.onLine === false ? T.finish_offline
        : st.pending || st.flying ? T.finish_wait : "";
      if (note) {
        event.preventDefault();
        st.note = note;
        render();
        play("warn");
      }
      return;
    }
    if (!ACTION.test(url.split("?")[0])) return;
    event.preventDefault();
    event.stopPropagation();
    var fields = {};
    new FormData(form).forEach(function (v, k) {
      if (k !== "_csrf_token" && typeof v === "string") fields[k] = v;
    });
    if (event.submitter && event.submitter.name) fields[event.submitter.name] = event.submitter.value;
    var key = url + JSON.stringify(fields);
    if (Date.now() - (recent[key] || 0) < 1000) return;  // a double tap
    recent[key] = Date.now();
    var details = form.closest("details");
    if (details) details.open = false;
    submit(url, fields, fields.code || "", form);
    form.querySelectorAll("input[name=weight]").forEach(function (i) { i.value = ""; });
  }, true);

  /* A copy of the page as it stands, for a reload without signal (sw.js serves it). */
  function snapshot() {
    if (!window.caches || !/^\/pick\/(runs\/)?\d+$/.test(location.pathname)) return;
    box.setAttribute("data-saved-at", String(Date.now()));
    var page = "<!doctype html>\n" + document.documentElement.outerHTML;
    box.removeAttribute("data-saved-at");
    caches.open(PAGES).then(function (cache) {
      return cache.put(location.pathname, new Response(page, {
        headers: { "Content-Type": "text/html; charset=utf-8" } }));
    }).catch(function () {});
  }

  // A saved copy carries what this page added: start from the server's part only.
  document.querySelectorAll("[data-feedback-local]").forEach(function (el) { el.remove(); });
  answerList.replaceChildren();
  answers.querySelector("button").addEventListener("click", function () {
    answerList.replaceChildren();
    render();
  });
  window.addEventListener("online", function () {
    st.failing = "";
    st.note = "";
    st.backoff = 0;
    render();
    drain();
  });
  window.addEventListener("offline", function () { st.note = ""; render(); snapshot(); });
  window.addEventListener("pagehide", snapshot);
  if (channel) {
    channel.onmessage = function (event) {
      if (event.data && event.data.seq) show(event.data, false);
      refresh();
    };
  }
  setInterval(function () { if (st.pending && !st.draining && navigator.onLine !== false) drain(); }, 15000);
  render();
  drain();
  if (!savedAt) setTimeout(snapshot, 1000);
})();
