import Foundation

/// Where things live by default. Recipes are found by name (`Recipe.locate`) in `./zoo/` or the
/// package's `zoo/`; checkpoints go below `zoo/models` of the working folder unless told otherwise.
enum Paths {
    /// A recipe name, found wherever the command runs.
    static let defaultRecipe = "lsa-1"

    /// `<models>/<recipe>/seed-<seed>.h5`
    static func checkpoint(models: String = "zoo/models", recipe: String, seed: UInt64) -> String {
        "\(models)/\(recipe)/seed-\(seed).h5"
    }
}
