// ICLCheckpoint: placeholder until its first file lands.
