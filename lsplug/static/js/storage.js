// The storage page: source and target forms from the plugins' fields, jobs, sink backlog.
'use strict';
(function () {
  const errorNode = document.getElementById('lsp-storage-error');
  let polling = null;

  function fieldInput(field, current) {
    let input;
    if (field.choices) {
      input = document.createElement('select');
      for (const choice of field.choices) {
        const option = document.createElement('option');
        option.value = option.textContent = choice;
        input.appendChild(option);
      }
    } else {
      input = document.createElement('input');
      input.type = field.secret ? 'password' : field.type === 'bool' ? 'checkbox' : field.type === 'int' ? 'number' : 'text';
    }
    input.name = field.name;
    input.dataset.kind = field.type;
    const value = current && current[field.name] !== undefined ? current[field.name] : field.default;
    if (input.type === 'checkbox') input.checked = Boolean(value);
    else if (value !== null && value !== undefined) input.value = value;
    input.required = Boolean(field.required);
    return input;
  }

  function fieldRow(field, current) {
    const label = document.createElement('label');
    label.className = 'lsp-field';
    const title = document.createElement('span');
    title.textContent = field.name + (field.required ? ' *' : '');
    const help = document.createElement('small');
    help.textContent = field.description ? ' ' + field.description : '';
    const error = document.createElement('div');
    error.className = 'lsp-field-error';
    error.dataset.errorFor = field.name;
    label.append(title, help, fieldInput(field, current), error);
    return label;
  }

  function values(form) {
    const out = { type: form.elements.type.value };
    for (const input of form.querySelectorAll('[data-kind]')) {
      if (input.type === 'checkbox') out[input.name] = input.checked;
      else if (input.value === '') continue;
      else out[input.name] = input.dataset.kind === 'int' ? Number(input.value) : input.value;
    }
    return out;
  }

  function drawForm(section, role, types, current) {
    const form = section.querySelector('form');
    const names = Object.keys(types);
    const chosen = (current && current.type) || names.find((n) => types[n].current) || names[0];
    form.replaceChildren();
    const typeLabel = document.createElement('label');
    typeLabel.className = 'lsp-field';
    typeLabel.textContent = 'Type';
    const select = document.createElement('select');
    select.name = 'type';
    for (const name of names) {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = types[name].title || name;
      option.selected = name === chosen;
      select.appendChild(option);
    }
    typeLabel.appendChild(select);
    form.appendChild(typeLabel);
    const fields = document.createElement('div');
    form.appendChild(fields);
    function drawFields() {
      fields.replaceChildren();
      const kind = types[select.value];
      if (!kind) return;
      const description = document.createElement('p');
      description.className = 'lsp-msg';
      description.textContent = kind.description || '';
      fields.appendChild(description);
      const mine = current && current.type === select.value ? current : null;
      for (const field of kind.fields) fields.appendChild(fieldRow(field, mine));
    }
    select.addEventListener('change', drawFields);
    drawFields();
    const save = document.createElement('button');
    save.className = 'lsp-button lsp-primary';
    save.textContent = 'Check and use this ' + role;
    form.appendChild(save);
    form.onsubmit = async (event) => {
      event.preventDefault();
      lsp.say(errorNode, '');
      for (const node of form.querySelectorAll('.lsp-field-error')) node.textContent = '';
      try {
        await lsp.api('POST', '/api/project/storage-settings?storage_for=' + role, values(form));
        await load();
      } catch (error) {
        const errors = (error.body && error.body.errors) || {};
        let shown = false;
        for (const [name, messages] of Object.entries(errors)) {
          const node = form.querySelector('[data-error-for="' + CSS.escape(name) + '"]');
          if (node) { node.textContent = [].concat(messages).join(' '); shown = true; }
        }
        if (!shown) lsp.say(errorNode, lsp.describe(error.body) || JSON.stringify(errors) || error.message, 'bad');
      }
    };
    if (!names.length) form.textContent = 'No storage type is registered for the ' + role + '.';
  }

  function showCurrent(section, settings) {
    const node = section.querySelector('.lsp-current');
    node.textContent = settings ? 'In use: ' + JSON.stringify(settings) : 'None in use.';
  }

  async function loadJobs() {
    const jobs = await lsp.api('GET', '/api/jobs');
    const tbody = document.getElementById('lsp-jobs');
    tbody.replaceChildren();
    let running = false;
    for (const job of jobs) {
      const row = document.createElement('tr');
      const progress = document.createElement('progress');
      progress.max = 1;
      progress.value = job.progress || 0;
      const progressCell = document.createElement('td');
      progressCell.append(progress, ' ' + (job.done || 0) + ' / ' + (job.total === null || job.total === undefined ? '?' : job.total));
      for (const text of [job.id, job.kind || '', job.status]) {
        const td = document.createElement('td');
        td.textContent = text;
        row.appendChild(td);
      }
      row.appendChild(progressCell);
      const error = document.createElement('td');
      error.textContent = job.error || '';
      row.appendChild(error);
      tbody.appendChild(row);
      running = running || job.status === 'running' || job.status === 'pending';
    }
    if (!jobs.length) {
      const row = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = 5;
      td.textContent = 'None';
      row.appendChild(td);
      tbody.appendChild(row);
    }
    return running;
  }

  async function load() {
    const settings = await lsp.api('GET', '/api/project/storage-settings');
    for (const section of document.querySelectorAll('[data-role]')) {
      const role = section.dataset.role;
      const current = settings[role + '_storage'];
      showCurrent(section, current);
      drawForm(section, role, settings[role] || {}, current);
    }
    const backlog = settings.sink_backlog || {};
    document.getElementById('lsp-backlog').textContent =
      (backlog.backlog || 0) + ' task file(s) waiting to be written, ' + (backlog.failing || 0) +
      ' failing' + (backlog.last_error ? '; last error: ' + backlog.last_error : '.');
    poll();
  }

  async function poll() {
    clearTimeout(polling);
    try {
      if (await loadJobs()) polling = setTimeout(poll, 1000);
    } catch (error) {
      lsp.say(errorNode, error.message, 'bad');
    }
  }

  load().catch((error) => lsp.say(errorNode, error.message, 'bad'));
})();
