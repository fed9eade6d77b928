// The setup page: validate the label config as it is typed, preview it, save it.
'use strict';
(function () {
  const textarea = document.getElementById('lsp-config');
  const status = document.getElementById('lsp-config-status');
  const frame = document.getElementById('lsp-preview');
  const templates = JSON.parse(document.getElementById('lsp-templates').textContent).templates;
  let timer = null;
  let checked = 0;
  let frameReady = false;
  let pending = null;

  function showErrors(title, errors) {
    status.replaceChildren();
    const head = document.createElement('b');
    head.textContent = title;
    head.className = 'lsp-status lsp-bad';
    const list = document.createElement('ul');
    for (const error of errors) {
      const item = document.createElement('li');
      item.textContent = error;
      list.appendChild(item);
    }
    status.append(head, list);
    status.dataset.state = 'invalid';
  }

  function showOk(text) {
    status.replaceChildren();
    const span = document.createElement('span');
    span.className = 'lsp-status lsp-ok';
    span.textContent = text;
    status.appendChild(span);
  }

  function errorsOf(error) {
    const body = error.body || {};
    if (Array.isArray(body.label_config)) return body.label_config;
    return [lsp.describe(body) || error.message];
  }

  function preview(config, data) {
    pending = { type: 'lsp-preview', config, data };
    if (frameReady) frame.contentWindow.postMessage(pending, window.location.origin);
  }

  async function check() {
    const config = textarea.value;
    const mine = ++checked;
    try {
      await lsp.api('POST', '/api/validate-config', { label_config: config });
      const data = await lsp.api('POST', '/api/import-example', { label_config: config });
      if (mine !== checked) return;
      showOk('The config is valid.');
      status.dataset.state = 'valid';
      preview(config, data);
    } catch (error) {
      if (mine === checked) showErrors('The config has errors:', errorsOf(error));
    }
  }

  function later() {
    clearTimeout(timer);
    status.dataset.state = 'checking';
    timer = setTimeout(check, 300);
  }

  async function save() {
    clearTimeout(timer);
    try {
      await lsp.api('POST', '/api/project/config', { label_config: textarea.value });
      showOk('Saved.');
      status.dataset.state = 'saved';
    } catch (error) {
      showErrors('Not saved:', errorsOf(error));
    }
  }

  window.addEventListener('message', (event) => {
    if (event.origin !== window.location.origin || !event.data) return;
    if (event.data.type === 'lsp-preview-ready') {
      frameReady = true;
      if (pending) frame.contentWindow.postMessage(pending, window.location.origin);
    }
  });
  document.getElementById('lsp-template').addEventListener('change', (event) => {
    const chosen = templates[Number(event.target.value)];
    if (!event.target.value || !chosen) return;
    textarea.value = chosen.config;
    check();
  });
  textarea.addEventListener('input', later);
  document.getElementById('lsp-save').addEventListener('click', save);
  check();
})();
