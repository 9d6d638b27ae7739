// ICLTasks: placeholder until its first file lands.
