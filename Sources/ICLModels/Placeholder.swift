// ICLModels: placeholder until its first file lands.
