// ICLRender: placeholder until its first file lands.
