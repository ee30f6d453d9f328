/**
 * The page half of the examples: your app's page, embedding the widget with
 * the asynchronous loader, asking your backend (`POST /setchat-token`) for
 * the signed-in user's visitor token, and resetting the widget on sign-out.
 */

/** The page for `user` (or nobody), against the SetChat server at `apiUrl`. */
export function page(user, { apiUrl, siteApiKey }) {
  const name = user ? user.name.replace(/[<>&"]/g, "") : "";
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>My app</title></head>
<body>
  <h1>My app</h1>
  <p>${
    user
      ? `Signed in as ${name}. <a href="/logout" id="sign-out">Sign out</a>`
      : `<a href="/login?user=user-ada">Sign in as Ada</a>`
  }</p>
  <script>
    (function (w, d, url) {
      if (!w.SetChat) {
        var q = [], stub = { q: q };
        ["init", "reset", "open", "close", "on", "off"].forEach(function (m) {
          stub[m] = function () {
            var args = [].slice.call(arguments);
            return new Promise(function (resolve, reject) { q.push([m, args, resolve, reject]); });
          };
        });
        w.SetChat = stub;
      }
      var s = d.createElement("script");
      s.async = true;
      s.src = url;
      d.head.appendChild(s);
    })(window, document, ${JSON.stringify(`${apiUrl}/widget.js`)});
    SetChat.init({
      siteApiKey: ${JSON.stringify(siteApiKey)},
      // The token string of the mint answer; null when nobody is signed in.
      getVisitorToken: () =>
        fetch("/setchat-token", { method: "POST" }).then((r) => (r.ok ? r.json() : null)).then((b) => b?.token ?? null),
      signInUrl: "/login?user=user-ada",
    });
    // Your sign-out logs the widget out too (SetChat.reset()), then signs out of your app.
    document.getElementById("sign-out")?.addEventListener("click", (e) => {
      e.preventDefault();
      SetChat.reset().then(() => location.assign("/logout"));
    });
  </script>
</body>
</html>`;
}
