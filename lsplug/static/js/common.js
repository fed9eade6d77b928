// Helpers shared by the pages: JSON calls to the API and status messages.
'use strict';
window.lsp = {
  // A JSON request; resolves to the decoded body, rejects with an Error carrying `.body`.
  async api(method, url, body) {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    const text = await response.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = { detail: text }; }
    }
    if (!response.ok) {
      const error = new Error(lsp.describe(data) || response.statusText);
      error.status = response.status;
      error.body = data;
      throw error;
    }
    return data;
  },
  // The words of an error body: `detail`, a list of `errors`, or label config errors.
  describe(body) {
    if (!body) return '';
    const parts = [];
    if (body.detail) parts.push(body.detail);
    if (Array.isArray(body.errors)) parts.push(...body.errors);
    if (Array.isArray(body.label_config)) parts.push(...body.label_config);
    return parts.join('\n');
  },
  // Show `text` in `node` as ok / bad / neutral.
  say(node, text, kind) {
    if (!node) return;
    node.textContent = text;
    node.classList.remove('lsp-ok', 'lsp-bad');
    if (kind) node.classList.add('lsp-' + kind);
    node.hidden = !text;
  },
};
