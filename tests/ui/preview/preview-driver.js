// Development only: puts the preview into states worth a screenshot.
//   act=reply     start a reply to a message and type a draft
//   act=picker    open the reaction picker on a message
//   act=top       scroll to the top of the loaded slice
//   act=selftest  run dev/selftest.js and print PASS/FAIL lines
const act = new URLSearchParams(location.search).get('act');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ready() {
  for (let i = 0; i < 100 && !document.querySelector('#messages .message'); i += 1) await sleep(50);
  await sleep(200);
}

async function run() {
  if (!act) return;
  await ready();
  if (act === 'selftest') {
    await import('./selftest.js');
    return;
  }
  const rows = [...document.querySelectorAll('#messages .message')];
  if (act === 'reply') {
    const target = rows.find((r) => r.querySelector('.reactions')) ?? rows.at(-1);
    target.querySelector('.reply-btn').click();
    const ta = document.querySelector('#composer textarea');
    ta.value = 'Good point — one more thing:\nthe picker should close on Escape.';
    ta.dispatchEvent(new Event('input'));
  } else if (act === 'picker') {
    const target = rows.at(-3);
    target.querySelector('.react-btn').click();
  } else if (act === 'top') {
    const m = document.querySelector('#messages');
    m.scrollTop = 0;
  }
}

run();
