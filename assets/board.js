/* The task board's drag and drop (SortableJS, vendored in assets/vendor/) and its one-column phone view.
   A drop sets the card's "Move to…" menu to the column it was dropped on, so the menu's server callback moves
   or refuses the card by the same workflow rules, and its answer redraws the board. */
(function () {
  'use strict';

  var MOVE_MENU = 'board-move';
  // If no answer comes (a network error, a callback error), the card goes back to its column after this.
  var GIVE_UP_MS = 15000;
  var bound = new WeakSet();
  var origin = null;
  var giveUp = null;

  function slug(status) {
    return String(status || 'New').toLowerCase().replace(/ /g, '-');
  }

  // Remove the copies shown where cards were dropped and show the cards again where React drew them.
  function settleAll() {
    document.querySelectorAll('.board-card-pending').forEach(function (copy) { copy.remove(); });
    document.querySelectorAll('.board-card-away').forEach(function (card) { card.classList.remove('board-card-away'); });
    clearTimeout(giveUp);
  }

  function lightUp(item, dragging) {
    var moves = (item.getAttribute('data-moves') || '').split('|');
    var home = item.closest('.board-column');
    document.querySelectorAll('#board .board-column').forEach(function (column) {
      var allowed = moves.indexOf(column.getAttribute('data-status')) >= 0;
      column.classList.toggle('board-drop-allowed', dragging && allowed);
      column.classList.toggle('board-drop-refused', dragging && !allowed && column !== home);
    });
    document.body.classList.toggle('board-dragging', dragging);
  }

  function dropped(event) {
    var item = event.item;
    var start = origin;
    origin = null;
    lightUp(item, false);
    if (!start || event.to === start.from) {
      return;
    }
    var column = event.to.closest('.board-column');
    // React owns these elements and would fail to redraw a card moved behind its back: the card goes back
    // where React drew it (hidden), and a copy stands where it was dropped until the server answers.
    var copy = item.cloneNode(true);
    copy.classList.add('board-card-pending');
    copy.removeAttribute('data-moves');
    copy.querySelectorAll('[id]').forEach(function (element) { element.removeAttribute('id'); });
    copy.querySelectorAll('label, select').forEach(function (element) { element.remove(); });
    event.to.insertBefore(copy, item);
    start.from.insertBefore(item, start.next && start.next.parentNode === start.from ? start.next : null);
    item.classList.add('board-card-away');
    clearTimeout(giveUp);
    giveUp = setTimeout(settleAll, GIVE_UP_MS);
    // The drop picks the target in the card's "Move to…" menu: the menu's own server callback moves the card.
    window.dash_clientside.set_props(
      {type: MOVE_MENU, id: item.getAttribute('data-task-id'), version: Number(item.getAttribute('data-version'))},
      {value: column.getAttribute('data-status')}
    );
  }

  function bind(list) {
    bound.add(list);
    window.Sortable.create(list, {
      group: 'board',
      sort: false, // a column's order is the server's (due date, or the swimlanes')
      draggable: '.board-card[data-moves]', // only cards this user may move
      filter: 'a, select, label, button, input',
      preventOnFilter: false, // the title link and the "Move to…" menu keep working
      // Pointer events rather than the browser's own drag and drop: the same behaviour everywhere,
      // the drag copy appended to <body>, outside what React draws.
      forceFallback: true,
      fallbackOnBody: true,
      fallbackTolerance: 4,
      delay: 200,
      delayOnTouchOnly: true, // on a touch screen a swipe still scrolls
      animation: 120,
      ghostClass: 'board-card-ghost',
      chosenClass: 'board-card-chosen',
      dragClass: 'board-card-drag',
      onChoose: function (event) {
        origin = {from: event.from, next: event.item.nextElementSibling};
      },
      onStart: function (event) {
        lightUp(event.item, true);
      },
      onEnd: dropped,
    });
  }

  function bindAll() {
    if (!window.Sortable) {
      return;
    }
    document.querySelectorAll('#board .board-cards').forEach(function (list) {
      if (!bound.has(list)) {
        bind(list);
      }
    });
  }

  // Dash draws the board after the scripts load, and redraws columns on every filter and move; once a frame
  // at most, since every page's changes are seen here.
  var scheduled = false;
  new MutationObserver(function () {
    if (!scheduled) {
      scheduled = true;
      window.requestAnimationFrame(function () {
        scheduled = false;
        bindAll();
      });
    }
  }).observe(document.documentElement, {childList: true, subtree: true});

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.board = {
    showColumn: function (status) {
      return 'board board-show-' + slug(status);
    },
    settle: function (moved) {
      settleAll();
      if (moved && moved.ok === false && moved.id) {
        // After React has redrawn the board: the refused card shakes where it stayed.
        setTimeout(function () {
          var card = document.querySelector('#board [data-task-id="' + CSS.escape(moved.id) + '"]');
          if (card) {
            card.classList.add('board-card-refused');
            setTimeout(function () { card.classList.remove('board-card-refused'); }, 1200);
          }
        }, 50);
      }
    },
  };
}());
