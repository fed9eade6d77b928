// The model page: the model servers from /api/models, train and predict.
'use strict';
(function () {
  const tbody = document.getElementById('lsp-models');
  const errorNode = document.getElementById('lsp-model-error');

  function cell(text) {
    const td = document.createElement('td');
    td.textContent = text;
    return td;
  }

  async function load() {
    const body = await lsp.api('GET', '/api/models');
    tbody.replaceChildren();
    if (!body.models.length) {
      const row = document.createElement('tr');
      const td = cell('No model server is connected.');
      td.colSpan = 7;
      row.appendChild(td);
      tbody.appendChild(row);
    }
    for (const model of body.models) {
      const row = document.createElement('tr');
      row.append(cell(model.name), cell(model.url), cell(model.connected ? 'yes' : 'no'),
        cell(model.model_version || '—'), cell(model.is_training ? 'yes' : 'no'),
        cell(model.error || ''));
      const actions = document.createElement('td');
      const remove = document.createElement('button');
      remove.className = 'lsp-link';
      remove.textContent = 'Remove';
      remove.addEventListener('click', () => act('DELETE', '/api/models', { name: model.name }));
      actions.appendChild(remove);
      row.appendChild(actions);
      tbody.appendChild(row);
    }
  }

  async function act(method, url, body) {
    lsp.say(errorNode, '');
    try {
      await lsp.api(method, url, body);
      await load();
    } catch (error) {
      lsp.say(errorNode, error.message, 'bad');
    }
  }

  const progress = document.getElementById('lsp-predict-progress');

  async function watch(jobId) {
    const job = await lsp.api('GET', '/api/jobs/' + jobId);
    progress.hidden = false;
    const share = job.total ? ` (${Math.round(100 * job.done / job.total)} %)` : '';
    progress.textContent = `Predictions: ${job.done} of ${job.total ?? '?'} tasks${share}, ${job.status}` +
      (job.error ? ` — ${job.error}` : '');
    if (job.status === 'running') setTimeout(() => watch(jobId).catch(() => {}), 500);
  }

  async function predictAll() {
    lsp.say(errorNode, '');
    try {
      const body = await lsp.api('POST', '/api/models/predictions?mode=all_tasks', {});
      await watch(body.job.id);
    } catch (error) {
      lsp.say(errorNode, error.message, 'bad');
    }
  }

  document.getElementById('lsp-connect').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = document.getElementById('lsp-model-name').value.trim();
    const url = document.getElementById('lsp-model-url').value.trim();
    act('PATCH', '/api/project', { ml_backend: name ? `${name}=${url}` : url });
  });
  document.getElementById('lsp-train').addEventListener('click', () => act('POST', '/api/models/train', {}));
  document.getElementById('lsp-predict').addEventListener('click', predictAll);
  load().catch((error) => lsp.say(errorNode, error.message, 'bad'));
})();
