// Applies the theme chosen earlier before the page is drawn, so that it does
// not flash in the other one: it is loaded without defer for that.
try {
  var chosen = localStorage.getItem("fb-theme");
  if (chosen) document.documentElement.dataset.theme = chosen;
} catch (e) { /* private mode: the system's theme */ }
