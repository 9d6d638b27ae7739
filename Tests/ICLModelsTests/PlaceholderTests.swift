import Testing
@Test func placeholder_ICLModelsTests() { #expect(1 + 1 == 2) }
