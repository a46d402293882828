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

#: Encodes an IAB TCF v2.2 core string (the ``euconsent-v2`` value) from purpose consents,
#: so the stored string says what ``__tcfapi`` reports.
TCF_JS = """
function tcString(cmpId, purposes, vendors) {
  var bits = '';
  function put(value, width) {
    var s = Number(value).toString(2);
    while (s.length < width) { s = '0' + s; }
    bits += s.slice(-width);
  }
  function letters(code) { put(code.charCodeAt(0) - 65, 6); put(code.charCodeAt(1) - 65, 6); }
  var now = Math.round(Date.now() / 100);
  put(2, 6); put(Math.floor(now / 4294967296), 4); put(now % 4294967296, 32);
  put(Math.floor(now / 4294967296), 4); put(now % 4294967296, 32);
  put(cmpId, 12); put(1, 12); put(1, 6); letters('EN'); put(150, 12); put(4, 6);
  put(0, 1); put(0, 1); put(0, 12);
  for (var p = 1; p <= 24; p++) { put(purposes.indexOf(p) >= 0 ? 1 : 0, 1); }
  put(0, 24); put(0, 1); letters('GB');
  var max = vendors.length ? Math.max.apply(null, vendors) : 0;
  put(max, 16); put(0, 1);
  for (var v = 1; v <= max; v++) { put(vendors.indexOf(v) >= 0 ? 1 : 0, 1); }
  put(0, 16); put(0, 1); put(0, 12);
  while (bits.length % 6) { bits += '0'; }
  var abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', out = '';
  for (var i = 0; i < bits.length; i += 6) { out += abc[parseInt(bits.slice(i, i + 6), 2)]; }
  return out;
}
"""

# --- travel-didomi.test: Didomi ---------------------------------------------------------------

DIDOMI_BODY = """
<h1>Travel deals</h1>
<p>Cheap flights to everywhere.</p>
<iframe src="{WIDGETS}/widget.html" title="weather" width="300" height="80"></iframe>
<div id="didomi-host" data-nosnippet="true" aria-hidden="true"></div>
"""

DIDOMI_NOTICE = """
<div id="didomi-notice" class="didomi-border didomi-notice-banner banner" role="region"
     aria-label="Cookie notice">
  <div id="didomi-notice-text" class="didomi-notice-text">We and our partners store and access
    information on your device, such as cookies, to measure and personalise ads.</div>
  <button id="didomi-notice-learn-more-button" class="didomi-components-button">Learn more
    </button>
  <button id="didomi-notice-disagree-button" class="didomi-components-button">
    <span>Disagree and close</span></button>
  <button id="didomi-notice-agree-button" class="didomi-components-button">
    <span>Agree and close</span></button>
</div>
"""

DIDOMI_JS = (
    TCF_JS
    + """
(function () {
  var PURPOSES = ['cookies', 'create_ads_profile', 'select_personalized_ads',
                  'measure_ad_performance'];
  var host = document.getElementById('didomi-host');
  var stored = getCookie('didomi_token');
  var enabled = [];
  if (stored) { try { enabled = JSON.parse(atob(stored)).purposes.enabled; } catch (e) {} }
  // The site's tag manager: it fires whatever the visitor chose (the bug a scanner must see).
  function tags() {
    if (!getCookie('_fbp')) {
      setCookie('_fbp', 'fb.1.' + Date.now() + '.' + Math.floor(Math.random() * 1e9), 90);
    }
  }
  function save(agree) {
    enabled = agree ? PURPOSES.slice() : [];
    var disabled = PURPOSES.filter(function (p) { return enabled.indexOf(p) < 0; });
    var token = { user_id: Math.random().toString(16).slice(2), created: new Date().toISOString(),
                  updated: new Date().toISOString(), version: 2,
                  purposes: { enabled: enabled, disabled: disabled } };
    setCookie('didomi_token', btoa(JSON.stringify(token)), 365);
    var tc = agree ? tcString(7, [1, 2, 3, 4, 7], [1, 2, 3]) : tcString(7, [], []);
    setCookie('euconsent-v2', tc, 365);
    host.innerHTML = ''; host.setAttribute('aria-hidden', 'true');
    tags();
  }
  function status(id) { return { id: id, enabled: enabled.indexOf(id) >= 0 }; }
  window.Didomi = {
    version: '2.0.0',
    setUserAgreeToAll: function () { save(true); },
    setUserDisagreeToAll: function () { save(false); },
    isConsentRequired: function () { return true; },
    shouldConsentBeCollected: function () { return !getCookie('didomi_token'); },
    getCurrentUserStatus: function () {
      var purposes = {};
      PURPOSES.forEach(function (p) { purposes[p] = status(p); });
      return { purposes: purposes, vendors: {}, regulation: 'gdpr' };
    },
    getUserConsentStatusForAll: function () {
      return { purposes: { enabled: enabled.slice(), disabled: PURPOSES.filter(function (p) {
        return enabled.indexOf(p) < 0; }) }, vendors: { enabled: [], disabled: [] } };
    },
    notice: { isVisible: function () { return !!document.getElementById('didomi-notice'); },
              show: function () { render(); }, hide: function () { host.innerHTML = ''; } },
    preferences: { show: function () { render(); } },
    on: function () {},
  };
  function render() {
    host.innerHTML = `DIDOMI_NOTICE`;
    host.removeAttribute('aria-hidden');
    var D = window.Didomi;
    document.getElementById('didomi-notice-agree-button').onclick = D.setUserAgreeToAll;
    document.getElementById('didomi-notice-disagree-button').onclick = D.setUserDisagreeToAll;
  }
  if (stored) { tags(); } else { setTimeout(render, 150); }
  (window.didomiOnReady || []).forEach(function (f) { f(window.Didomi); });
})();
""".replace("DIDOMI_NOTICE", DIDOMI_NOTICE)
)

# --- bank-usercentrics.test: Usercentrics (v2, shadow DOM) --------------------------------------

USERCENTRICS_BODY = """
<h1>Bank</h1>
<p>Your money, safe.</p>
<div id="usercentrics-root" data-created-at="0"></div>
"""

USERCENTRICS_BANNER = """
<style>
  .uc-banner { position: fixed; left: 0; right: 0; bottom: 0; background: #fff; padding: 1em;
               border-top: 2px solid #333; z-index: 1000; font-family: sans-serif; }
</style>
<div data-testid="uc-container" class="uc-banner" role="dialog" aria-modal="true"
     aria-label="Privacy settings">
  <h2 id="uc-heading-title">Privacy Settings</h2>
  <div data-testid="uc-message-container">We use cookies and similar technologies to analyse
    the use of our online banking. You can accept all or deny all optional services.</div>
  <div data-testid="uc-buttons-container">
    <button data-testid="uc-more-button">More Information</button>
    <button data-testid="uc-deny-all-button">Deny</button>
    <button data-testid="uc-accept-all-button">Accept All</button>
  </div>
</div>
"""

USERCENTRICS_JS = """
(function () {
  var SERVICES = [
    { id: 'H1Vl5NidjWX', name: 'Usercentrics Consent Management Platform', isEssential: true },
    { id: 'HkocEodjb7', name: 'Google Analytics', isEssential: false },
    { id: 'S1pcEj_jZX', name: 'Google Ads Remarketing', isEssential: false },
  ];
  var root = document.getElementById('usercentrics-root');
  var shadow = root.attachShadow({ mode: 'open' });
  var settings = null;
  try { settings = JSON.parse(localStorage.getItem('uc_settings')); } catch (e) {}
  function statuses(all) {
    return SERVICES.map(function (s) {
      return { id: s.id, name: s.name, status: s.isEssential || all, isEssential: s.isEssential };
    });
  }
  function allAccepted() {
    return !!settings && settings.services.every(function (s) { return s.status; });
  }
  function analytics() {
    setCookie('_bank_analytics', 'ba.' + Math.floor(Math.random() * 1e9), 365);
  }
  function decide(all) {
    settings = { controllerId: Math.random().toString(16).slice(2), id: 'XyZsettings',
                 language: 'en', services: statuses(all), version: '1.0.0' };
    localStorage.setItem('uc_settings', JSON.stringify(settings));
    localStorage.setItem('uc_user_interaction', 'true');
    closeUi();
    if (all) { analytics(); }
    return Promise.resolve();
  }
  function closeUi() { shadow.innerHTML = ''; document.body.classList.remove('overflowHidden'); }
  function showUi() {
    shadow.innerHTML = `USERCENTRICS_BANNER`;
    document.body.classList.add('overflowHidden');
    var accept = shadow.querySelector('[data-testid=uc-accept-all-button]');
    var deny = shadow.querySelector('[data-testid=uc-deny-all-button]');
    accept.onclick = function () { decide(true); };
    deny.onclick = function () { decide(false); };
  }
  window.UC_UI = {
    isInitialized: function () { return true; },
    acceptAllConsents: function () { return decide(true); },
    denyAllConsents: function () { return decide(false); },
    closeCMP: function () { closeUi(); return Promise.resolve(); },
    areAllConsentsAccepted: allAccepted,
    showFirstLayer: showUi,
    showSecondLayer: showUi,
    getServicesBaseInfo: function () { return settings ? settings.services : statuses(false); },
  };
  window.UC_UI_IS_RENDERED = true;
  if (settings && allAccepted()) { analytics(); }
  if (!localStorage.getItem('uc_user_interaction')) { setTimeout(showUi, 150); }
  window.dispatchEvent(new Event('UC_UI_INITIALIZED'));
})();
""".replace("USERCENTRICS_BANNER", USERCENTRICS_BANNER)

# --- magazine-tcf.test: Quantcast Choice (TCF v2) -----------------------------------------------

TCF_BODY = """
<h1>Magazine</h1>
<p>Long reads.</p>
<iframe name="__tcfapiLocator" style="display:none" title="tcf locator"></iframe>
<div id="qc-cmp2-container" data-nosnippet=""></div>
"""

QUANTCAST_UI = """
<div class="qc-cmp-cleanslate">
  <div id="qc-cmp2-main" class="qc-cmp2-main">
    <div id="qc-cmp2-ui" role="dialog" aria-label="qc-cmp2-ui" aria-modal="true" tabindex="0"
         class="banner">
      <div class="qc-cmp2-summary-section">
        <h2>We value your privacy</h2>
        <div class="qc-cmp2-summary-info">We and our partners store and/or access information
          on a device, such as cookies, and process personal data for personalised ads and
          content, ad and content measurement, and audience insights.</div>
      </div>
      <div class="qc-cmp2-footer qc-cmp2-footer-overlay">
        <div class="qc-cmp2-summary-buttons">
          <button mode="secondary" size="large">MORE OPTIONS</button>
          <button mode="secondary" size="large">DISAGREE</button>
          <button mode="primary" size="large">AGREE</button>
        </div>
      </div>
    </div>
  </div>
</div>
"""

#: Purposes this CMP records as consented when the visitor disagrees: the non-compliance
#: (storage and an ads profile) a scanner reading ``__tcfapi`` must report.
TCF_PURPOSES_AFTER_REJECT = (1, 3)

QUANTCAST_JS = (
    TCF_JS
    + """
(function () {
  var ALL = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], AFTER_REJECT = [AFTER_REJECT_LIST];
  var container = document.getElementById('qc-cmp2-container');
  var stored = null, listeners = [], nextId = 1, shown = false;
  try { stored = JSON.parse(localStorage.getItem('qc_purposes')); } catch (e) {}
  function ads() { setCookie('_mag_ads', 'ma.' + Math.floor(Math.random() * 1e9), 90); }
  function hasAll(list, wanted) {
    return wanted.every(function (p) { return list.indexOf(p) >= 0; });
  }
  function tcData(status) {
    var purposes = stored || [], consents = {};
    for (var p = 1; p <= 10; p++) { consents[p] = purposes.indexOf(p) >= 0; }
    return {
      tcString: getCookie('euconsent-v2') || '', tcfPolicyVersion: 4, cmpId: 10, cmpVersion: 50,
      gdprApplies: true, eventStatus: status || (stored ? 'tcloaded' : 'cmpuishown'),
      cmpStatus: 'loaded', isServiceSpecific: false, useNonStandardTexts: false,
      publisherCC: 'GB', purposeOneTreatment: false,
      purpose: { consents: consents, legitimateInterests: {} },
      vendor: { consents: {}, legitimateInterests: {} },
      specialFeatureOptins: {}, publisher: { consents: {}, legitimateInterests: {},
        customPurpose: { consents: {}, legitimateInterests: {} }, restrictions: {} },
    };
  }
  function decide(purposes) {
    stored = purposes.slice();
    localStorage.setItem('qc_purposes', JSON.stringify(stored));
    setCookie('euconsent-v2', tcString(10, stored, stored.length ? [1, 2, 3] : []), 390);
    setCookie('addtl_consent', '1~' + (stored.length === ALL.length ? '39.43.46' : ''), 390);
    container.innerHTML = ''; shown = false;
    if (hasAll(stored, [1, 3, 4])) { ads(); }
    listeners.forEach(function (l) {
      var d = tcData('useractioncomplete'); d.listenerId = l.id; l.callback(d, true);
    });
  }
  window.__tcfapi = function (command, version, callback, parameter) {
    if (typeof callback !== 'function') { return; }
    if (command === 'ping') {
      callback({ gdprApplies: true, cmpLoaded: true, cmpStatus: 'loaded',
                 displayStatus: shown ? 'visible' : 'hidden', apiVersion: '2.2',
                 cmpVersion: 50, cmpId: 10, gvlVersion: 150, tcfPolicyVersion: 4 }, true);
    } else if (command === 'getTCData') {
      callback(tcData(), true);
    } else if (command === 'addEventListener') {
      var id = nextId++; listeners.push({ id: id, callback: callback });
      var d = tcData(); d.listenerId = id; callback(d, true);
    } else if (command === 'removeEventListener') {
      listeners = listeners.filter(function (l) { return l.id !== parameter; });
      callback(true);
    } else {
      callback(null, false);
    }
  };
  function render() {
    container.innerHTML = `QUANTCAST_UI`;
    shown = true;
    var buttons = container.querySelectorAll('.qc-cmp2-summary-buttons > button');
    buttons[1].onclick = function () { decide(AFTER_REJECT); };  // "disagree"
    buttons[2].onclick = function () { decide(ALL); };
  }
  if (stored) { if (hasAll(stored, [1, 3, 4])) { ads(); } } else { setTimeout(render, 150); }
})();
""".replace("QUANTCAST_UI", QUANTCAST_UI).replace(
        "AFTER_REJECT_LIST", ", ".join(str(p) for p in TCF_PURPOSES_AFTER_REJECT)
    )
)

# --- blog-generic.test: a home-made banner only heuristics find ---------------------------------

GENERIC_BODY = """
<h1>A small blog</h1>
<p>Notes on gardening.</p>
<div id="bn-notice" class="bn-notice" style="display:none; position:fixed; left:1em; right:1em;
     bottom:1em; background:#ffd; padding:1em; border:1px solid #aa8; z-index:99">
  <p>We use cookies to count readers. You can accept all or reject all of them.</p>
  <button type="button" class="bn-yes">Accept all</button>
  <button type="button" class="bn-no">Reject all</button>
</div>
"""

GENERIC_JS = """
(function () {
  var notice = document.getElementById('bn-notice');
  function stats() { setCookie('_blog_stats', 'bs.' + Math.floor(Math.random() * 1e9), 365); }
  function choose(yes) {
    setCookie('blog_consent', yes ? 'yes' : 'no', 180);
    hide(notice);
    if (yes) { stats(); }
  }
  notice.querySelector('.bn-yes').onclick = function () { choose(true); };
  notice.querySelector('.bn-no').onclick = function () { choose(false); };
  var choice = getCookie('blog_consent');
  if (choice === 'yes') { stats(); }
  if (!choice) { setTimeout(function () { notice.style.display = 'block'; }, 150); }
})();
"""

# --- evil-redirect.test: hostile -----------------------------------------------------------------

EVIL_SUBRESOURCES = """<!doctype html><html><head><meta charset='utf-8'><title>Hi</title>
<script src="{METADATA}"></script></head>
<body><h1>Nothing to see</h1>
<img src="http://127.0.0.1:{INTERNAL}/pixel.gif" alt="">
<iframe src="http://127.0.0.1:{INTERNAL}/admin" title="admin"></iframe>
<script>
fetch('http://127.0.0.1:{INTERNAL}/api/secrets', {mode: 'no-cors'}).catch(function () {});
</script>
</body></html>
"""
