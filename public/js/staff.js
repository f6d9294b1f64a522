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

/* The survey builder, enhanced: it works without any of this (every button asks the server). Here: the
   answers of the question a condition depends on appear as soon as it is chosen; questions move by drag;
   a table pasted from a spreadsheet fills both language boxes; leaving with unsaved changes asks first. */
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  var form = document.getElementById('builder-form');
  if (!form) return;
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // Unsaved work: what was typed since the page loaded, or changes the server keeps until "Save".
  var dirty = form.getAttribute('data-unsaved') === 'true';
  form.addEventListener('input', function () { dirty = true; });
  form.addEventListener('change', function () { dirty = true; });
  form.addEventListener('submit', function () { dirty = false; });
  window.addEventListener('beforeunload', function (event) {
    if (!dirty) return undefined;
    event.preventDefault();
    event.returnValue = form.getAttribute('data-leave-warning') || '';
    return event.returnValue;
  });

  // Conditions: show the boxes of the question chosen, hide the others (the server reads only those).
  each(form.querySelectorAll('select[data-condition-select]'), function (select) {
    var groups = select.closest('fieldset').querySelectorAll('.condition-answers');
    select.addEventListener('change', function () {
      each(groups, function (group) { group.hidden = group.getAttribute('data-source') !== select.value; });
    });
  });

  // Two columns copied from Excel arrive as "中文<Tab>English" lines: split them into the two boxes.
  each(form.querySelectorAll('textarea[name$=".options.zh-CN"]'), function (zh) {
    var en = form.querySelector('textarea[name="' + zh.name.replace(/zh-CN$/, 'en') + '"]');
    zh.addEventListener('paste', function (event) {
      var text = event.clipboardData && event.clipboardData.getData('text/plain');
      if (!en || !text || text.indexOf('\t') < 0) return;
      event.preventDefault();
      var rows = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
      var column = function (k) { return rows.map(function (row) { return (row.split('\t')[k] || '').trim(); }).join('\n'); };
      var join = function (before, added) { return before.replace(/\s+$/, '') ? before.replace(/\s+$/, '') + '\n' + added : added; };
      zh.value = join(zh.value, column(0));
      en.value = join(en.value, column(1));
      dirty = true;
    });
  });

  // Drag a question by its handle onto another to move it there; the buttons stay for keyboards and phones.
  var questions = form.querySelectorAll('.builder-question');
  var dragged = null;
  var move = function (from, to) {
    var input = document.createElement('input');
    input.type = 'hidden';
    input.name = 'action';
    input.value = 'move:' + from + ':' + to;
    form.appendChild(input);
    dirty = false;
    form.submit();
  };
  if (questions.length < 2) return;
  each(questions, function (question) {
    var index = Number(question.getAttribute('data-index'));
    var tools = question.querySelector('.question-tools');
    var handle = document.createElement('span');
    handle.className = 'drag-handle';
    handle.textContent = '⠿';
    handle.title = question.getAttribute('data-drag-label') || '';
    handle.setAttribute('aria-hidden', 'true');
    tools.insertBefore(handle, tools.firstChild);
    handle.draggable = true;
    question.addEventListener('dragstart', function (event) {
      dragged = index;
      event.dataTransfer.effectAllowed = 'move';
      event.dataTransfer.setData('text/plain', String(index));
      question.classList.add('dragging');
    });
    question.addEventListener('dragend', function () {
      question.classList.remove('dragging');
      each(questions, function (q) { q.classList.remove('drop-target'); });
    });
    question.addEventListener('dragover', function (event) {
      if (dragged === null || dragged === index) return;
      event.preventDefault();
      question.classList.add('drop-target');
    });
    question.addEventListener('dragleave', function () { question.classList.remove('drop-target'); });
    question.addEventListener('drop', function (event) {
      if (dragged === null || dragged === index) return;
      event.preventDefault();
      move(dragged, index);
    });
  });
})();
