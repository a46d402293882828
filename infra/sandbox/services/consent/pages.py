"""The sites' HTML and scripts: banners in the markup of the real consent platforms.

Each banner carries the element ids, classes and JavaScript globals that autoconsent's rules
and ``EVAL_*`` snippets read (``window.OneTrust``/``OnetrustActiveGroups``,
``window.Cookiebot``, ``window.Didomi``, ``window.UC_UI``, ``window.__tcfapi``), and behaves
like the real one: its buttons store the choice (cookie or localStorage), hide the banner,
and load or hold back the tracking the choice allows. A reload with a stored choice shows no
banner. ``{ORIGIN}`` placeholders become ``http://<host>:<port>`` of the request.
"""

from __future__ import annotations

#: Small helpers every site's script starts with.
COMMON_JS = """
function setCookie(name, value, days) {
  document.cookie = name + '=' + value + '; path=/; max-age=' + (days * 86400) + '; SameSite=Lax';
}
function getCookie(name) {
  var m = document.cookie.match('(?:^|; )' + name + '=([^;]*)');
  return m ? decodeURIComponent(m[1]) : null;
}
function show(el) { if (el) { el.style.display = 'block'; } }
function hide(el) { if (el) { el.style.display = 'none'; } }
function loadScript(src) {
  var s = document.createElement('script'); s.src = src; document.head.appendChild(s);
}
"""

STYLE = """
body { font-family: sans-serif; margin: 0; padding: 2em; }
.banner { position: fixed; left: 0; right: 0; bottom: 0; background: #fff; padding: 1em;
          border-top: 2px solid #333; z-index: 1000; }
.banner button { margin: 0.3em; padding: 0.5em 1em; }
"""


def document(title: str, body: str, script: str = "", head: str = "") -> str:
    """A whole page: content, then the consent script (as a CMP tag at the end of body)."""
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{STYLE}</style>{head}</head>\n<body>\n{body}\n"
        f"<script>{COMMON_JS}\n{script}</script>\n</body></html>\n"
    )


# --- news-onetrust.test: OneTrust --------------------------------------------------------------

ONETRUST_BODY = """
<h1>Daily News</h1>
<p>Today's headlines. <a href="/world">World</a></p>
<div id="onetrust-consent-sdk">
  <div class="onetrust-pc-dark-filter ot-hide ot-fade-in" style="display:none"></div>
  <div id="onetrust-banner-sdk" class="otFlat banner" role="region"
       aria-label="Cookie banner" style="display:none">
    <div class="ot-sdk-container"><div class="ot-sdk-row">
      <div id="onetrust-group-container" class="ot-sdk-eight ot-sdk-columns">
        <div id="onetrust-policy">
          <h2 id="onetrust-policy-title">We value your privacy</h2>
          <div id="onetrust-policy-text">We and our partners use cookies to measure the
            audience and show personalised ads.
            <a class="ot-cookie-policy-link" href="/privacy">Cookie Policy</a></div>
        </div>
      </div>
      <div id="onetrust-button-group-parent" class="ot-sdk-three ot-sdk-columns">
        <div id="onetrust-button-group">
          <button id="onetrust-pc-btn-handler">Cookies Settings</button>
          <button id="onetrust-reject-all-handler">Reject All</button>
          <button id="onetrust-accept-btn-handler">Accept All Cookies</button>
        </div>
      </div>
    </div></div>
  </div>
  <div id="onetrust-pc-sdk" class="otPcCenter ot-hide ot-fade-in banner" role="dialog"
       aria-modal="true" style="display:none">
    <h2 id="ot-pc-title">Privacy Preference Center</h2>
    <input type="checkbox" class="category-switch-handler" id="ot-group-id-C0002"
           aria-label="Performance Cookies">
    <input type="checkbox" class="category-switch-handler" id="ot-group-id-C0004"
           aria-label="Targeting Cookies">
    <div class="ot-pc-footer">
      <button id="accept-recommended-btn-handler">Allow All</button>
      <button class="ot-pc-refuse-all-handler">Reject All</button>
      <button class="save-preference-btn-handler onetrust-close-btn-handler">
        Confirm My Choices</button>
    </div>
  </div>
</div>
"""

ONETRUST_JS = """
(function () {
  var ALL = ',C0001,C0002,C0003,C0004,', NECESSARY = ',C0001,';
  // The site's own analytics, dropped before any choice: what a scanner must flag.
  if (!getCookie('_ga')) {
    var now = Math.floor(Date.now() / 1000);
    setCookie('_ga', 'GA1.1.' + Math.floor(Math.random() * 1e9) + '.' + now, 400);
  }
  var saved = getCookie('OptanonConsent');
  var accepted = !!saved && saved.indexOf('C0004:1') >= 0;
  window.OnetrustActiveGroups = accepted ? ALL : NECESSARY;
  window.OptanonActiveGroups = window.OnetrustActiveGroups;
  var banner = document.getElementById('onetrust-banner-sdk');
  var pc = document.getElementById('onetrust-pc-sdk');
  var filter = document.querySelector('.onetrust-pc-dark-filter');
  function ads() { loadScript('{ADS}/tag.js?site=news'); }
  function decide(groups) {
    var all = groups.indexOf('C0004') >= 0;
    var list = ['C0001', 'C0002', 'C0003', 'C0004'].map(function (g) {
      return g + ':' + (groups.indexOf(g) >= 0 ? 1 : 0);
    }).join(',');
    var id = Math.random().toString(16).slice(2);
    setCookie('OptanonConsent', encodeURIComponent('isGpcEnabled=0&datestamp='
      + new Date().toUTCString() + '&version=202409.1.0&isIABGlobal=false&hosts=&consentId='
      + id + '&interactionCount=1&landingPath=NotLandingPage&groups=' + list), 365);
    setCookie('OptanonAlertBoxClosed', new Date().toISOString(), 365);
    window.OnetrustActiveGroups = ',' + groups.join(',') + ',';
    window.OptanonActiveGroups = window.OnetrustActiveGroups;
    hide(banner); hide(pc); hide(filter);
    window.dispatchEvent(new Event('OneTrustGroupsUpdated'));
    if (all) { ads(); }
  }
  function acceptAll() { decide(['C0001', 'C0002', 'C0003', 'C0004']); }
  function rejectAll() { decide(['C0001']); }
  function saveChoices() {
    var groups = ['C0001'];
    pc.querySelectorAll('input.category-switch-handler:checked').forEach(function (el) {
      groups.push(el.id.replace('ot-group-id-', ''));
    });
    decide(groups);
  }
  window.OneTrust = {
    AllowAll: acceptAll, RejectAll: rejectAll,
    IsAlertBoxClosed: function () { return !!getCookie('OptanonAlertBoxClosed'); },
    ToggleInfoDisplay: function () { hide(banner); show(pc); show(filter); },
    Close: function () { hide(banner); hide(pc); hide(filter); },
    GetDomainData: function () { return { ConsentModel: { Name: 'opt-in' } }; },
  };
  window.Optanon = window.OneTrust;
  document.getElementById('onetrust-accept-btn-handler').onclick = acceptAll;
  document.getElementById('onetrust-reject-all-handler').onclick = rejectAll;
  document.getElementById('accept-recommended-btn-handler').onclick = acceptAll;
  document.querySelector('.ot-pc-refuse-all-handler').onclick = rejectAll;
  document.querySelector('.save-preference-btn-handler').onclick = saveChoices;
  document.getElementById('onetrust-pc-btn-handler').onclick = window.OneTrust.ToggleInfoDisplay;
  if (accepted) { ads(); }
  if (!window.OneTrust.IsAlertBoxClosed()) {
    setTimeout(function () { show(banner); }, 150);  // the SDK renders after loading
  }
})();
"""

# --- ads-tracker.test and cdn-widgets.test: third parties --------------------------------------

ADS_TAG_JS = """
(function () {
  var img = new Image(1, 1);
  img.src = '{ADS}/pixel.gif?site=' + encodeURIComponent(location.hostname) + '&r=' + Math.random();
  img.style.display = 'none';
  (document.body || document.documentElement).appendChild(img);
})();
"""

WIDGET_FRAME = """<!doctype html><html><head><meta charset='utf-8'><title>Widget</title></head>
<body><p>Weather: sunny</p>
<script>
document.cookie = 'cw_pref=units%3Dmetric; path=/; max-age=31536000; SameSite=None; Secure';
</script></body></html>
"""

#: A 1x1 transparent GIF.
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)

# --- shop-cookiebot.test: Cookiebot ------------------------------------------------------------

COOKIEBOT_DIALOG = """
<div id="CybotCookiebotDialog" name="CybotCookiebotDialog" role="dialog" aria-modal="true"
     aria-labelledby="CybotCookiebotDialogBodyContentTitle" class="banner" style="display:none">
  <div id="CybotCookiebotDialogBody">
    <h2 id="CybotCookiebotDialogBodyContentTitle">This website uses cookies</h2>
    <div id="CybotCookiebotDialogBodyContentText">We use cookies to personalise content and
      to analyse our traffic. You consent to our cookies if you continue to use our website.</div>
  </div>
  <div id="CybotCookiebotDialogBodyLevelWrapper">
    <label><input type="checkbox" id="CybotCookiebotDialogBodyLevelButtonNecessary"
      class="CybotCookiebotDialogBodyLevelButton" checked disabled> Necessary</label>
    <label><input type="checkbox" id="CybotCookiebotDialogBodyLevelButtonPreferences"
      class="CybotCookiebotDialogBodyLevelButton"> Preferences</label>
    <label><input type="checkbox" id="CybotCookiebotDialogBodyLevelButtonStatistics"
      class="CybotCookiebotDialogBodyLevelButton"> Statistics</label>
    <label><input type="checkbox" id="CybotCookiebotDialogBodyLevelButtonMarketing"
      class="CybotCookiebotDialogBodyLevelButton"> Marketing</label>
  </div>
  <div id="CybotCookiebotDialogFooter">
    <button id="CybotCookiebotDialogBodyLevelButtonLevelOptinDeclineAll">Deny</button>
    <button id="CybotCookiebotDialogBodyLevelButtonAccept">Allow selection</button>
    <button id="CybotCookiebotDialogBodyButtonAccept">Allow all</button>
  </div>
</div>
"""

COOKIEBOT_JS = """
(function () {
  var dialog = document.getElementById('CybotCookiebotDialog');
  function stats() { setCookie('_shop_stats', 'v1.' + Math.floor(Math.random() * 1e9), 365); }
  function parse(raw) {
    var c = {};
    (raw || '').replace(/[{}]/g, '').split(',').forEach(function (kv) {
      var p = kv.split(':'); if (p.length === 2) { c[p[0]] = p[1] === 'true'; }
    });
    return c;
  }
  var raw = getCookie('CookieConsent');
  var cb = window.Cookiebot = window.CookieConsent = {
    consent: { necessary: true, preferences: false, statistics: false, marketing: false },
    consented: false, declined: false, hasResponse: !!raw,
    dialog: { visible: false },
    submitCustomConsent: function (preferences, statistics, marketing) {
      cb.consent = { necessary: true, preferences: !!preferences, statistics: !!statistics,
                     marketing: !!marketing };
      cb.consented = !!(preferences || statistics || marketing);
      cb.declined = !cb.consented;
      cb.hasResponse = true;
      setCookie('CookieConsent', encodeURIComponent("{stamp:'" + Math.random().toString(36).slice(2)
        + "',necessary:true,preferences:" + cb.consent.preferences + ',statistics:'
        + cb.consent.statistics + ',marketing:' + cb.consent.marketing
        + ",method:'explicit',ver:1,utc:" + Date.now() + ",region:'de'}"), 365);
      cb.hide();
      if (cb.consent.statistics) { stats(); }
    },
    withdraw: function () { cb.submitCustomConsent(false, false, false); },
    renew: function () { cb.show(); },
    show: function () { show(dialog); cb.dialog.visible = true; },
    hide: function () { hide(dialog); cb.dialog.visible = false; },
  };
  if (raw) {
    var c = parse(raw);
    cb.consent = { necessary: true, preferences: !!c.preferences, statistics: !!c.statistics,
                   marketing: !!c.marketing };
    cb.consented = c.preferences || c.statistics || c.marketing;
    cb.declined = !cb.consented;
    if (cb.consent.statistics) { stats(); }
  }
  function level(id) { return document.getElementById(id).checked; }
  document.getElementById('CybotCookiebotDialogBodyLevelButtonLevelOptinDeclineAll').onclick =
    function () { cb.submitCustomConsent(false, false, false); };
  document.getElementById('CybotCookiebotDialogBodyLevelButtonAccept').onclick = function () {
    cb.submitCustomConsent(level('CybotCookiebotDialogBodyLevelButtonPreferences'),
      level('CybotCookiebotDialogBodyLevelButtonStatistics'),
      level('CybotCookiebotDialogBodyLevelButtonMarketing'));
  };
  document.getElementById('CybotCookiebotDialogBodyButtonAccept').onclick =
    function () { cb.submitCustomConsent(true, true, true); };
  if (!cb.hasResponse) { setTimeout(cb.show, 150); }
})();
"""

SHOP_PAGES = {
    "/": (
        "Shop",
        "<h1>Shop</h1><p><a href='/products'>All products</a> · "
        "<a href='{BLOG}/'>Our blog (another site)</a></p>",
    ),
    "/products": (
        "Products",
        "<h1>Products</h1><ul><li><a href='/products/desk-lamp'>Desk lamp</a></li></ul>"
        "<p><a href='/'>Home</a></p>",
    ),
    "/products/desk-lamp": (
        "Desk lamp",
        "<h1>Desk lamp</h1><p>A lamp.</p><p><a href='/products'>Back</a></p>",
    ),
}
