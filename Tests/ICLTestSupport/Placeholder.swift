// ICLTestSupport placeholder.
