import Foundation

/// Where things live by default: the package's `zoo/` folder when run from the package root.
enum Paths {
    static let defaultRecipe = "zoo/lsa-1.json"

    /// `<models>/<recipe>/seed-<seed>.h5`
    static func checkpoint(models: String = "zoo/models", recipe: String, seed: UInt64) -> String {
        "\(models)/\(recipe)/seed-\(seed).h5"
    }
}

/// A failure the user can fix: printed as one line, exit status 1.
struct UserError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
