// A stand-in for LINE's LIFF SDK (https://static.line-scdn.net/liff/edge/2/sdk.js), for the simulator only:
// devtools.create_app points LIFF_SDK_URL here. It has the calls the dashboard uses (init, isLoggedIn,
// login, getIDToken, isInClient, closeWindow, getProfile) and behaves as LIFF does for them:
// - the simulator opens a LIFF URL as LINE does, at the app's endpoint URL with the URL's own path, query
//   and fragment kept in liff.state, and init() puts them back in the address (a redirect: the page loads
//   again), so a page that reads ?area= before init has finished finds nothing, as in LINE;
// - the user is the simulator's: it passes ?simulator_user=U…&simulator_name=… (the real SDK ignores them),
//   and init() gets that user's ID token from the fake LINE (POST /simulator/api/liff/token), which also
//   answers LINE Login's verify call for it;
// - isInClient() is true inside the simulator's LIFF panel (LINE's in-app browser), false in a tab of its
//   own (an outside browser), where login() takes the simulator's current user, as LINE Login would.
"use strict";

(function () {
  const STORE = "fake-liff.user";
  const query = new URLSearchParams(location.search);
  const given = query.get("simulator_user") ? { id: query.get("simulator_user"), name: query.get("simulator_name") || "" } : null;
  // Kept for this tab: the page may move around (its own links, a reload) without the parameters.
  if (given) sessionStorage.setItem(STORE, JSON.stringify(given));
  const stored = () => { try { return JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch (e) { return null; } };
  const inPanel = window.parent !== window;
  const session = { liffId: null, token: null, profile: null };

  function keepSimulatorParams(url) {
    const user = stored();
    if (user) {
      url.searchParams.set("simulator_user", user.id);
      if (user.name) url.searchParams.set("simulator_name", user.name);
    }
    return url;
  }

  async function init(config) {
    const liffId = (config && config.liffId) || "";
    if (!liffId) throw new Error("liffId is necessary for liff.init()");
    const state = query.get("liff.state");
    if (state != null) {
      // The secondary redirect: LIFF's path, query and fragment go back in the address.
      const target = new URL(state.startsWith("/") ? location.pathname.replace(/\/$/, "") + state : location.pathname + state,
        location.origin);
      location.replace(keepSimulatorParams(target).href);
      return new Promise(() => {});  // the page is going away, as with LIFF
    }
    session.liffId = liffId;
    const user = stored();
    if (!user) return;  // not logged in: isLoggedIn() is false
    const response = await fetch("/simulator/api/liff/token", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ liff_id: liffId, user_id: user.id, display_name: user.name }),
    });
    const data = await response.json();
    if (!response.ok) {
      const error = new Error(data.error || "liff.init() failed");
      error.code = "INIT_FAILED";
      throw error;
    }
    session.token = data.id_token;
    session.profile = data.profile;
  }

  window.liff = {
    id: null,
    init(config) {
      return init(config).then(() => { window.liff.id = session.liffId; });
    },
    isLoggedIn: () => Boolean(session.token),
    login(options) {
      // LINE Login in an outside browser; here the simulator's current chat user is the one logging in.
      const userId = localStorage.getItem("simulator.userId");
      if (!userId) { location.href = "/simulator"; return; }
      sessionStorage.setItem(STORE, JSON.stringify({ id: userId, name: localStorage.getItem("simulator.name") || "" }));
      location.href = keepSimulatorParams(new URL((options && options.redirectUri) || location.href, location.origin)).href;
    },
    logout() { session.token = null; sessionStorage.removeItem(STORE); },
    getIDToken: () => session.token,
    getDecodedIDToken() {
      if (!session.token) return null;
      const payload = session.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(decodeURIComponent(escape(atob(payload))));
    },
    getProfile() {
      return session.profile ? Promise.resolve({ ...session.profile }) : Promise.reject(new Error("not logged in"));
    },
    isInClient: () => inPanel,
    getOS: () => "web",
    getLanguage: () => "th",
    // In the simulator's panel the page asks it to close (simulator.js listens); in a tab, the tab closes.
    closeWindow() {
      if (inPanel) window.parent.postMessage({ type: "liff.closeWindow" }, location.origin);
      else window.close();
    },
  };
})();
