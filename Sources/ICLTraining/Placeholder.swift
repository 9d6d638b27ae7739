// ICLTraining: placeholder until its first file lands.
