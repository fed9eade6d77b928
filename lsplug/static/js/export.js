// The export page: the chosen format's default for skipped completions, and what the
// export with the chosen options leaves out (its summary, fetched on demand).
'use strict';
(function () {
  const form = document.getElementById('lsp-export');
  if (!form) return;
  const skipDefault = document.getElementById('lsp-skip-default');
  const summaryLink = document.getElementById('lsp-summary');
  const summaryText = document.getElementById('lsp-summary-text');

  function chosenFormat() {
    return form.querySelector('input[name="format"]:checked');
  }

  function showDefault() {
    const format = chosenFormat();
    if (format && skipDefault) {
      skipDefault.textContent = format.dataset.includeCancelled === 'true' ? 'kept' : 'left out';
    }
  }

  function query() {
    return new URLSearchParams(new FormData(form)).toString();
  }

  async function showSummary(event) {
    event.preventDefault();
    lsp.say(summaryText, 'Reading the export…');
    try {
      const summary = await lsp.api('GET', '/api/project/export/summary?' + query());
      const lines = Object.entries(summary.skipped).map(([why, n]) => `${n} × ${why}`);
      const text = lines.length ? 'Left out:\n' + lines.join('\n') : 'Nothing is left out.';
      lsp.say(summaryText, text, lines.length ? 'bad' : 'ok');
    } catch (error) {
      lsp.say(summaryText, error.message, 'bad');
    }
  }

  form.addEventListener('change', showDefault);
  if (summaryLink) summaryLink.addEventListener('click', showSummary);
  showDefault();
})();
