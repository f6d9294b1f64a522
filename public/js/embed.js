/* The embed card tells the page that frames it how tall it is, so the host's iframe (see ShareKit.embedSnippet)
 * fits the card at any width instead of cutting off its button on a phone. It sends a number only; the host's
 * listener checks that the message comes from our origin and from its own iframe. */
(function () {
  if (window.parent === window) return;
  var last = 0;
  function send() {
    // The root element's box, not the body's: the last paragraph's bottom margin collapses through the body.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: 'minyi-embed-height', height: height }, '*');
  }
  window.addEventListener('load', send);
  window.addEventListener('resize', send);
  if ('ResizeObserver' in window) new ResizeObserver(send).observe(document.body);
})();
