// The activity view: polls /activity/feed every few seconds and replaces the
// live part of the page (rendered by the server in the viewer's language).
// Stops when the session ends; a failed poll is retried at the next tick.
'use strict';
(() => {
  const live = document.getElementById('live');
  const state = document.getElementById('live-state');
  if (!live) return;
  const every = 2000;
  let newest = live.dataset.newest || '';
  let timer = 0;
  let last = '';
  async function poll() {
    try {
      const resp = await fetch(live.dataset.feed, {headers: {Accept: 'application/json'}, cache: 'no-store'});
      if (resp.status === 401 || resp.status === 403) {
        clearInterval(timer);
        state.textContent = '';
        return;
      }
      if (!resp.ok) return;
      const body = await resp.json();
      if (body.newest !== newest || last !== body.html) {
        live.innerHTML = body.html;
        last = body.html;
        if (body.newest !== newest) {
          const row = live.querySelector('#activity-calls tbody tr');
          if (row && newest !== '') row.classList.add('fresh');
          newest = body.newest;
          live.dataset.newest = newest;
        }
      }
    } catch (e) {
      // Offline or server restarting: the next tick tries again.
    }
  }
  timer = setInterval(poll, every);
})();
