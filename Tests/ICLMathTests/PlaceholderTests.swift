import Testing
@Test func placeholder_ICLMathTests() { #expect(1 + 1 == 2) }
