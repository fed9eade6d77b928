// The task list: delete one task or all of them.
'use strict';
(function () {
  const errorNode = document.getElementById('lsp-tasks-error');

  async function run(method, url, question) {
    if (!window.confirm(question)) return;
    try {
      await lsp.api(method, url);
      window.location.reload();
    } catch (error) {
      lsp.say(errorNode, error.message, 'bad');
    }
  }

  document.getElementById('lsp-delete-all').addEventListener('click', () => {
    run('DELETE', '/api/tasks', 'Delete every task with its completions?');
  });
  for (const button of document.querySelectorAll('.lsp-delete')) {
    button.addEventListener('click', () => {
      const id = button.dataset.taskId;
      run('DELETE', '/api/tasks/' + id, 'Delete task ' + id + ' with its completions?');
    });
  }
})();
