/// Recipes live in ICLRecipe, below the checkpoint reader, so that reading a model does not link the
/// trainer; whoever trains gets them with the trainer.
@_exported import ICLRecipe
