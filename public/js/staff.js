/* Staff pages: a "Copy" button beside each ready-to-paste text (microblog post, embed snippet). Without
   JavaScript the text is still there to select and copy by hand. */
(function () {
  'use strict';
  var label = document.documentElement.lang === 'en' ? ['Copy', 'Copied'] : ['复制', '已复制'];
  Array.prototype.forEach.call(document.querySelectorAll('textarea[data-copy]'), function (area) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'button secondary small';
    button.textContent = label[0];
    button.setAttribute('aria-describedby', area.id);
    area.insertAdjacentElement('afterend', button);
    button.addEventListener('click', function () {
      var done = function () { button.textContent = label[1]; setTimeout(function () { button.textContent = label[0]; }, 2000); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(area.value).then(done, function () { area.select(); });
      } else {
        area.select();
        done();
      }
    });
  });
})();
