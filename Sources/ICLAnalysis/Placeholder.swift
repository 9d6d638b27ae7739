// ICLAnalysis: placeholder until its first file lands.
