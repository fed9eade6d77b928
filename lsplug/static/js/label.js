// The labeling page: starts the editor on a task and sends its events to the completions API.
'use strict';
(function () {
  const boot = JSON.parse(document.getElementById('lsp-boot').textContent);
  const statusNode = document.getElementById('lsp-status');
  const taskName = document.getElementById('lsp-task-name');
  let editor = null;
  let task = null;

  function say(text, kind) { lsp.say(statusNode, text, kind); }

  function fail(what) {
    return (error) => { say(what + ': ' + error.message, 'bad'); throw error; };
  }

  // A fresh mount point: the editor is rebuilt for every task.
  function freshRoot() {
    const holder = document.getElementById('lsp-editor-holder');
    holder.replaceChildren();
    const root = document.createElement('div');
    root.id = 'label-studio';
    holder.appendChild(root);
    return root;
  }

  function stopEditor() {
    if (editor && typeof editor.destroy === 'function') {
      try { editor.destroy(); } catch (e) { /* a half-built editor: the new root replaces it */ }
    }
    editor = null;
  }

  function showDone() {
    stopEditor();
    freshRoot();
    task = null;
    taskName.textContent = '';
    document.getElementById('lsp-done').hidden = false;
    document.body.dataset.lspTask = 'none';
  }

  function resultOf(annotation) {
    return annotation.serializeAnnotation();
  }

  function completionsUrl(suffix) {
    return '/api/tasks/' + task.id + '/completions' + (suffix || '');
  }

  async function submit(ls, annotation) {
    const result = resultOf(annotation);
    if (boot.check_empty && result.length === 0) {
      say('Nothing is labeled yet: label something or skip the task.', 'bad');
      return;
    }
    say('Saving…');
    const saved = await lsp.api('POST', completionsUrl(), { result, lead_time: leadTime() })
      .catch(fail('Not saved'));
    annotation.updatePersonalKey(String(saved.id));
    say('Saved completion ' + saved.id + ' of task ' + task.id, 'ok');
    await loadNext();
  }

  async function update(ls, annotation) {
    say('Saving…');
    await lsp.api('PATCH', completionsUrl('/' + annotation.pk), { result: resultOf(annotation) })
      .catch(fail('Not updated'));
    say('Updated completion ' + annotation.pk, 'ok');
  }

  async function remove(ls, annotation) {
    if (!/^\d+$/.test(String(annotation.pk))) return; // never saved: nothing to delete
    await lsp.api('DELETE', completionsUrl('/' + annotation.pk)).catch(fail('Not deleted'));
    say('Deleted completion ' + annotation.pk, 'ok');
  }

  async function skip(ls) {
    const selected = ls.annotationStore.selected;
    const result = selected ? resultOf(selected) : [];
    say('Skipping…');
    await lsp.api('POST', completionsUrl('?was_cancelled=1'), { result, was_cancelled: true })
      .catch(fail('Not skipped'));
    say('Skipped task ' + task.id, 'ok');
    await loadNext();
  }

  let started = performance.now();
  function leadTime() { return (performance.now() - started) / 1000; }

  // 1.4 calls onLabelStudioLoad before it adds the task's completions and predictions:
  // look at them once that is done.
  function ready(ls) {
    setTimeout(() => prepare(ls.annotationStore), 0);
  }

  function prepare(store) {
    if (!store.annotations.length) {
      // Start from the best prediction, which stays visible in the predictions menu.
      const prediction = store.predictions.length ? store.predictions[0] : null;
      const annotation = prediction
        ? store.addAnnotationFromPrediction(prediction)
        : store.addAnnotation({ userGenerate: true });
      store.selectAnnotation(annotation.id);
    }
    markReady();
  }

  function markReady() {
    document.body.dataset.lspTask = String(task.id);
    window.lspReadyAt = performance.now();
  }

  function start(next) {
    stopEditor();
    task = next;
    started = performance.now();
    document.getElementById('lsp-done').hidden = true;
    document.body.dataset.lspTask = 'loading';
    taskName.textContent = 'Task #' + task.id;
    freshRoot();
    editor = new window.LabelStudio('label-studio', {
      config: boot.config,
      interfaces: boot.interfaces,
      user: boot.user,
      task: {
        id: task.id,
        data: task.data,
        completions: task.completions || [],
        predictions: task.predictions || [],
      },
      onLabelStudioLoad: ready,
      onSubmitAnnotation: submit,
      onUpdateAnnotation: update,
      onDeleteAnnotation: remove,
      onSkipTask: skip,
    });
  }

  async function loadNext() {
    if (boot.fixed) history.replaceState(null, '', '/');
    boot.fixed = false;
    try {
      start(await lsp.api('GET', '/api/project/next'));
    } catch (error) {
      if (error.status === 404) showDone();
      else say('The next task did not load: ' + error.message, 'bad');
    }
  }

  const openInstruction = document.getElementById('lsp-instruction-open');
  if (openInstruction) {
    openInstruction.addEventListener('click', () => {
      document.getElementById('lsp-instruction').showModal();
    });
  }
  if (boot.task) start(boot.task); else showDone();
})();
