// Tells GOV.UK Frontend's styles that its scripts run here (kept in a file: the page's
// Content-Security-Policy allows no inline script).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
