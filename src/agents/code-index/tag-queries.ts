/**
 * tree-sitter queries that find definitions and references, per language. Written for Tandem in the
 * shape of tree-sitter's code-navigation "tags" convention (`@name` on the defined identifier,
 * `@definition.<kind>` on the defining node, `@reference` on every identifier use), which is also what
 * aider's repo map reads. Variables count as definitions only at the top level of a module, so local
 * names do not drown the map.
 */
import type { CodeLanguage } from './code-language.js';

const JS_COMMON = `
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(method_definition name: [(property_identifier) (private_property_identifier)] @name) @definition.method
(program (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.variable)
(program (variable_declaration (variable_declarator name: (identifier) @name)) @definition.variable)
(program (export_statement declaration: (lexical_declaration (variable_declarator name: (identifier) @name))) @definition.variable)
(program (export_statement declaration: (variable_declaration (variable_declarator name: (identifier) @name))) @definition.variable)
(assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [(function_expression) (arrow_function)]) @definition.function
(pair key: (property_identifier) @name value: [(function_expression) (arrow_function)]) @definition.method
`;

const JS_REFERENCES = `
(identifier) @reference
(property_identifier) @reference
(shorthand_property_identifier) @reference
`;

const DEFINITIONS: Readonly<Record<CodeLanguage, string>> = {
  javascript: `${JS_COMMON}
(class_declaration name: (identifier) @name) @definition.class
`,
  typescript: `${JS_COMMON}
(class_declaration name: (type_identifier) @name) @definition.class
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(abstract_method_signature name: (property_identifier) @name) @definition.method
`,
  tsx: '',
  python: `
(function_definition name: (identifier) @name) @definition.function
(class_definition name: (identifier) @name) @definition.class
(module (expression_statement (assignment left: (identifier) @name)) @definition.variable)
`,
  go: `
(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name) @definition.type
(source_file (const_declaration (const_spec name: (identifier) @name)) @definition.variable)
(source_file (var_declaration (var_spec name: (identifier) @name)) @definition.variable)
`,
};

const REFERENCES: Readonly<Record<CodeLanguage, string>> = {
  javascript: JS_REFERENCES,
  typescript: `${JS_REFERENCES}(type_identifier) @reference\n`,
  tsx: '',
  python: '(identifier) @reference\n',
  go: '(identifier) @reference\n(field_identifier) @reference\n(type_identifier) @reference\n',
};

/** The definitions query of a language (TSX shares TypeScript's). */
export function definitionsQuery(language: CodeLanguage): string {
  return DEFINITIONS[language === 'tsx' ? 'typescript' : language];
}

/** The references query of a language (TSX shares TypeScript's). */
export function referencesQuery(language: CodeLanguage): string {
  return REFERENCES[language === 'tsx' ? 'typescript' : language];
}
