// The setup page's preview: shows the editor with the config and data the parent page posts.
'use strict';
(function () {
  const boot = JSON.parse(document.getElementById('lsp-boot').textContent);
  const message = document.getElementById('lsp-preview-msg');
  let editor = null;

  function show(config, data) {
    if (editor && typeof editor.destroy === 'function') {
      try { editor.destroy(); } catch (e) { /* replaced below */ }
    }
    const holder = document.getElementById('lsp-editor-holder');
    holder.replaceChildren();
    const root = document.createElement('div');
    root.id = 'label-studio';
    holder.appendChild(root);
    message.hidden = true;
    editor = new window.LabelStudio('label-studio', {
      config,
      interfaces: ['panel', 'controls', 'side-column'],
      user: boot.user,
      task: { id: 1, data, completions: [], predictions: [] },
      onLabelStudioLoad(ls) {
        const annotation = ls.annotationStore.addAnnotation({ userGenerate: true });
        ls.annotationStore.selectAnnotation(annotation.id);
        document.body.dataset.lspPreview = 'ready';
      },
    });
  }

  window.addEventListener('message', (event) => {
    if (event.origin !== window.location.origin || !event.data || event.data.type !== 'lsp-preview') return;
    try {
      show(event.data.config, event.data.data);
    } catch (error) {
      message.hidden = false;
      message.textContent = 'The preview failed: ' + error.message;
    }
  });
  if (window.parent !== window) window.parent.postMessage({ type: 'lsp-preview-ready' }, window.location.origin);
})();
