// The import page: files dropped or chosen, or pasted JSON; check first, then import.
'use strict';
(function () {
  const drop = document.getElementById('lsp-drop');
  const input = document.getElementById('lsp-files');
  const list = document.getElementById('lsp-file-list');
  const pasted = document.getElementById('lsp-json');
  const progress = document.getElementById('lsp-progress');
  const status = document.getElementById('lsp-import-status');
  const errorList = document.getElementById('lsp-import-errors');
  let files = [];

  function showFiles() {
    list.replaceChildren();
    for (const file of files) {
      const item = document.createElement('li');
      item.textContent = file.name + ' (' + Math.ceil(file.size / 1024) + ' KB)';
      list.appendChild(item);
    }
  }

  function setFiles(chosen) {
    files = Array.from(chosen);
    showFiles();
    errorList.replaceChildren();
    lsp.say(status, files.length ? files.length + ' file(s) chosen: check or import them.' : '');
  }

  function showErrors(errors) {
    errorList.replaceChildren();
    for (const error of errors) {
      const item = document.createElement('li');
      item.textContent = error;
      errorList.appendChild(item);
    }
  }

  // The request body: the files as multipart, else the pasted JSON (checked here first).
  function body() {
    if (files.length) {
      const form = new FormData();
      for (const file of files) form.append('FileUpload', file, file.name);
      return { payload: form, type: null };
    }
    const text = pasted.value.trim();
    if (!text) throw new Error('Choose files or paste JSON first.');
    try {
      JSON.parse(text);
    } catch (error) {
      throw new Error('The pasted text is not JSON: ' + error.message);
    }
    return { payload: text, type: 'application/json' };
  }

  // XMLHttpRequest rather than fetch: it reports upload progress for large files.
  function send(dryRun) {
    const { payload, type } = body();
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/project/import' + (dryRun ? '?dry_run=1' : ''));
      if (type) xhr.setRequestHeader('Content-Type', type);
      xhr.upload.addEventListener('progress', (event) => {
        if (!event.lengthComputable) return;
        progress.hidden = false;
        progress.value = Math.round((100 * event.loaded) / event.total);
      });
      xhr.addEventListener('load', () => {
        progress.hidden = true;
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = { detail: xhr.responseText }; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(Object.assign(new Error(lsp.describe(data) || xhr.statusText), { body: data }));
      });
      xhr.addEventListener('error', () => {
        progress.hidden = true;
        reject(new Error('the server could not be reached'));
      });
      xhr.send(payload);
    });
  }

  function counts(summary) {
    return summary.task_count + ' tasks, ' + summary.completion_count + ' completions, ' +
      summary.prediction_count + ' predictions';
  }

  async function go(dryRun) {
    errorList.replaceChildren();
    lsp.say(status, dryRun ? 'Checking…' : 'Importing…');
    try {
      const summary = await send(dryRun);
      if (dryRun) {
        lsp.say(status, 'Ready to import ' + counts(summary) + '.', 'ok');
      } else {
        lsp.say(status, 'Imported ' + counts(summary) + '.', 'ok');
        status.dataset.state = 'imported';
        files = [];
        showFiles();
        pasted.value = '';
        const link = document.createElement('a');
        link.href = '/';
        link.textContent = ' Start labeling →';
        status.appendChild(link);
      }
    } catch (error) {
      const errors = (error.body && error.body.errors) || [];
      lsp.say(status, (dryRun ? 'Would not import: ' : 'Nothing imported: ') +
        ((error.body && error.body.detail) || error.message), 'bad');
      showErrors(errors);
    }
  }

  input.addEventListener('change', () => setFiles(input.files));
  for (const name of ['dragenter', 'dragover']) {
    drop.addEventListener(name, (event) => { event.preventDefault(); drop.classList.add('lsp-over'); });
  }
  for (const name of ['dragleave', 'drop']) {
    drop.addEventListener(name, () => drop.classList.remove('lsp-over'));
  }
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    setFiles(event.dataTransfer.files);
  });
  pasted.addEventListener('input', () => { if (files.length) setFiles([]); });
  document.getElementById('lsp-check').addEventListener('click', () => go(true));
  document.getElementById('lsp-import').addEventListener('click', () => go(false));
})();
