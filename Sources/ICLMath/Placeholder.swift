// ICLMath: placeholder until its first file lands.
