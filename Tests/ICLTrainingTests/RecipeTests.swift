import Foundation
import ICLModels
import ICLTraining
import Testing

@Suite("Recipes")
struct RecipeTests {
    func decode(_ json: String) throws -> Recipe { try Recipe.decode(Data(json.utf8), file: "r.json") }

    func message(_ json: String) -> String {
        do { _ = try decode(json); return "" } catch { return "\(error)" }
    }

    @Test func defaultsAreTheAuthorsSettingsAndDerivedValuesFollowTheDepth() throws {
        let one = try decode("{}")
        #expect(one.learningRate == 1e-3 && one.clipNorm == 0.001 && abs(one.initScale - 0.002) < 1e-15)
        #expect(one.training.batchSize == 2048 && one.training.adamBeta2 == 0.98 && one.task.inputRange == 1)
        let five = try decode(#"{"model": {"layers": 5}}"#)
        #expect(five.learningRate == 5e-4 && five.clipNorm == 10 && five.modelConfig.clipTokens == 10)
        #expect(abs(five.initScale - 0.0004) < 1e-15)
        let three = try decode(#"{"model": {"layers": 3}}"#)
        #expect(three.learningRate == 1e-3 && three.clipNorm == 10 && three.modelConfig.clipTokens == nil)
    }

    @Test func theResolvedRecipeRoundTripsThroughJSON() throws {
        let recipe = try decode(
            #"{"model": {"architecture": "transformer", "layers": 2, "attention": ["softmax", "linear"], "mlp_hidden": 8}}"#
        ).resolved()
        let again = try decode(recipe.json())
        #expect(again == recipe)
        #expect(recipe.json().contains("\"learning_rate\" : 0.001"))
    }

    @Test(arguments: [
        (#"{"trainin": {}}"#, "unknown field 'trainin'"),
        (#"{"training": {"steps": "many"}}"#, "field 'training.steps' has the wrong type"),
        (#"{"model": {"heads": 0}}"#, "model.heads must be at least 1"),
        (#"{"task": {"context_size": 0}}"#, "task.context_size must be at least 1"),
        (#"{"model": {"architecture": "softmax", "attention": ["linear"]}}"#, "model.attention"),
        (#"{"model": {"architecture": "gd", "heads": 2}}"#, "gradient descent"),
        (
            #"{"model": {"architecture": "gd"}, "task": {"family": "sine", "input_dim": 1}}"#,
            "needs task.family 'linear-regression'"
        ),
        (#"{"model": {"layers": 2, "attention": ["linear"]}}"#, "model.attention lists 1 layer(s)"),
        (#"{"model": {"token_layout": "diagonal"}}"#, "model.token_layout: unknown value 'diagonal'"),
        (#"{"model": {"activation": "tanh"}}"#, "model.activation: unknown value 'tanh' (known: gelu, relu)"),
        (#"{"task": {"family": "sine"}}"#, "must be 1 for the sine family"),
        (
            #"{"task": {"family": "quadratic"}}"#,
            "task.family: unknown value 'quadratic' (known: linear-regression, sine)"
        ),
        (#"{"training": {"steps": -1}}"#, "training.steps must not be negative"),
        (#"{"training": {"fixed_tasks": 0}}"#, "training.fixed_tasks must be at least 1"),
        (#"{"task": {"noise_std": -0.5}}"#, "task.noise_std must be zero or positive"),
        (
            #"{"task": {"family": "sine", "input_dim": 1, "noise_std": 0.5}}"#,
            "task.noise_std applies to the linear-regression family only"
        ),
        ("[1, 2]", "r.json"),
    ])
    func badRecipesAreRejectedNamingTheField(json: String, expected: String) {
        let text = message(json)
        #expect(text.contains(expected), "\(text)")
        #expect(text.hasPrefix("r.json: "), "\(text)")
    }
}
