/* Minyi survey form, improved when scripts run; it works without this file, which changes no field it posts. */
(() => {
  document.documentElement.classList.add('js');
  const form = document.querySelector('form.survey-form');
  if (!form) return;
  const all = (selector, root) => Array.from((root || form).querySelectorAll(selector));
  const one = (selector, root) => (root || form).querySelector(selector);
  const on = (node, type, handler) => node.addEventListener(type, handler);
  const set = (node, name, value) => node.setAttribute(name, value);

  // Answers as the server reads them: checked choices, the chosen option, ranks in order.
  const answersOf = (id) => Array.from(form.elements)
    .filter((f) => (f.name === id || f.name.indexOf(id + '.rank.') === 0) && f.value && (!/radio|checkbox/.test(f.type) || f.checked))
    .map((f) => f.value);

  const refresh = () => {
    // Conditions chain: a question shows when the one it depends on shows and has a matching answer.
    const shown = {};
    all('.question-block[data-question]').forEach((block) => {
      const rule = block.dataset.showIf && JSON.parse(block.dataset.showIf);
      block.hidden = !(shown[block.dataset.question] = !rule || (shown[rule.question] && answersOf(rule.question).some((v) => rule.anyOf.indexOf(v) >= 0)));
    });
    // Numbers count the questions shown, so none is skipped (text, not CSS counters, which screen readers miss).
    let number = 0;
    all('.question-block[data-question]:not([hidden]) .q-number').forEach((n) => { n.textContent = ++number + '. '; });
    // "Other" text shows while "other" is chosen (ranked: counted) or it holds text; the server flags it only then.
    all('.other-text').forEach((box) => {
      box.hidden = answersOf(box.dataset.otherFor).indexOf('other') < 0 && !one('input', box).value.trim();
    });
    all('.checkboxes').forEach((group) => {
      const boxes = all('input', group).filter((box) => box.type === 'checkbox');
      const full = boxes.filter((box) => box.checked).length >= group.dataset.max;
      boxes.forEach((box) => { box.disabled = full && !box.checked; });
    });
  };
  // "Answer only if…" notes are for those who see every question.
  all('.condition').forEach((hint) => { hint.hidden = true; });

  // As the server counts: code points (an emoji is one character) of the text without its outer spaces.
  all('.counter').forEach((counter) => {
    const field = one('[aria-describedby~="' + counter.id + '"]');
    const update = () => {
      const left = counter.dataset.max - Array.from(field.value.trim()).length;
      counter.textContent = left < 0 ? counter.dataset.over.replace('{over}', -left) : counter.dataset.left.replace('{left}', left);
      counter.classList.toggle('over', left < 0);
    };
    on(field, 'input', update);
    update();
  });

  // Ranking: a reorderable list of all items; the top N go into the rank selects, which stay in the form, hidden.
  all('.ranking').forEach((ranking) => {
    const text = ranking.dataset;
    const count = text.rankCount;
    const selects = all('select', ranking);
    const chosen = selects.map((s) => s.value);
    // Until the resident orders the list (or confirms it), nothing is posted: an untouched list would
    // otherwise count the first items for everyone who skipped the question.
    let touched = chosen.some(Boolean);
    const place = (o) => chosen.indexOf(o.value) + 1 || 99;
    ranking.insertAdjacentHTML('beforeend', '<ol class="rank-list"></ol><button type="button" class="button secondary small rank-confirm"></button><p class="visually-hidden" aria-live="polite"></p>');
    const confirm = one('.rank-confirm', ranking);
    confirm.textContent = text.labelConfirm;
    const list = one('ol', ranking);
    const live = one('[aria-live]', ranking);
    const cut = document.createElement('li');
    cut.className = 'rank-cut';
    set(cut, 'aria-hidden', 'true');
    // After a mistake, the items ranked before come first; otherwise a random order, so that no item gains
    // from being listed first.
    // "Other" stays last, as on paper: it needs words, and should not be ranked by chance.
    const shuffle = new Map(Array.from(selects[0].options).map((o) => [o.value, o.value === 'other' ? 2 : Math.random()]));
    Array.from(selects[0].options).filter((o) => o.value).sort((a, b) => place(a) - place(b) || (touched ? a.index - b.index : shuffle.get(a.value) - shuffle.get(b.value))).forEach((o) => {
      list.insertAdjacentHTML('beforeend', '<li class="rank-item"><span class="pos"></span><span class="item-label"></span><button type="button" class="up">\u2191</button><button type="button" class="down">\u2193</button></li>');
      const li = list.lastChild;
      li.dataset.value = o.value;
      one('.item-label', li).textContent = o.text;
      set(one('.up', li), 'aria-label', text.labelUp + ' ' + o.text);
      set(one('.down', li), 'aria-label', text.labelDown + ' ' + o.text);
    });
    selects.forEach((s) => { s.parentNode.hidden = true; });
    // "Please specify" sits with "other", and moves with it.
    const otherBox = one('.other-text', ranking.parentNode);
    const otherItem = one('.rank-item[data-value="other"]', list);
    if (otherBox && otherItem) otherItem.appendChild(otherBox);
    const hint = ranking.previousElementSibling;
    const group = ranking.closest('fieldset');
    hint.textContent = text.jsHint;
    hint.id = 'q-' + text.question + '-rank-hint';
    set(group, 'aria-describedby', ((group.getAttribute('aria-describedby') || '') + ' ' + hint.id).trim());

    const items = () => all('.rank-item', list);
    const sync = () => {
      const lis = items();
      lis.forEach((li, i) => {
        one('.pos', li).textContent = i + 1;
        li.classList.toggle('counted', touched && i < count);
        set(one('.up', li), 'aria-disabled', !i);
        set(one('.down', li), 'aria-disabled', !lis[i + 1]);
      });
      if (lis[count] && touched) list.insertBefore(cut, lis[count]);
      confirm.hidden = touched;
      selects.forEach((s, i) => { s.value = touched && lis[i] ? lis[i].dataset.value : ''; });
      refresh();
    };
    // Moves the neighbour, not the item, so the item keeps keyboard focus and pointer capture.
    const step = (li, by) => {
      const other = items()[items().indexOf(li) + by];
      if (other) list.insertBefore(other, by < 0 ? li.nextSibling : li);
      return other;
    };
    const announce = (li) => {
      live.textContent = one('.item-label', li).textContent + ' ' + text.labelRank.replace('{rank}', items().indexOf(li) + 1);
    };
    on(list, 'click', (event) => {
      const b = event.target.closest('button');
      if (b && b.getAttribute('aria-disabled') !== 'true' && step(b.parentNode, b.className === 'up' ? -1 : 1)) {
        touched = true;
        sync();
        announce(b.parentNode);
      }
    });

    // A finger drags by the number and grip (elsewhere it scrolls the page); a mouse drags the whole item.
    let dragged = null;
    on(list, 'pointerdown', (event) => {
      const t = event.target;
      dragged = !event.button && !t.closest('button, .other-text') && (event.pointerType === 'mouse' || t.closest('.pos')) && t.closest('.rank-item');
      if (!dragged) return;
      dragged.setPointerCapture(event.pointerId);
      dragged.classList.add('dragging');
    });
    on(list, 'pointermove', (event) => {
      if (!dragged) return;
      const y = event.clientY;
      if (y < 48 || y > innerHeight - 48) scrollBy(0, y < 48 ? -12 : 12);
      // Past the middle of another item, the dragged one takes its place.
      const to = items().filter((li) => { const r = li.getBoundingClientRect(); return li !== dragged && r.top + r.height / 2 < y; }).length;
      const from = items().indexOf(dragged);
      for (let at = from; at !== to && step(dragged, to < at ? -1 : 1);) at += to < at ? -1 : 1;
      if (to !== from) { touched = true; sync(); announce(dragged); }
    });
    const drop = () => {
      if (dragged) dragged.classList.remove('dragging');
      dragged = null;
    };
    on(confirm, 'click', () => {
      touched = true;
      sync();
      const first = one('.down', items()[0]);
      if (first) first.focus();
    });
    on(list, 'pointerup', drop);
    on(list, 'pointercancel', drop);
    sync();
  });

  on(form, 'change', refresh);
  refresh();

  // Focused, the summary is read first. Its links also reach fields the script hid (the rank selects).
  const summary = one('[data-error-summary]', document);
  if (summary) {
    summary.focus();
    on(summary, 'click', (event) => {
      const target = event.target.hash && document.getElementById(event.target.hash.slice(1));
      const block = target && target.closest('.question-block');
      const field = block && [target].concat(all('button, input, select, textarea', block)).find((f) => f.getClientRects().length);
      if (field) {
        event.preventDefault();
        field.focus();
        block.scrollIntoView();
      }
    });
  }
})();
