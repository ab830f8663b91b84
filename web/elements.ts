// The page's elements by role, typed by the tag each role needs and checked against the markup when
// the page starts: a page whose markup and script disagree stops there, naming the element, rather
// than failing later on a missing property.

/** The tag each role's element must have, by role. */
export type ElementTags = Record<string, keyof HTMLElementTagNameMap>;

/** Each role's element, typed by its tag. */
export type ElementsOf<T extends ElementTags> = { [Role in keyof T]: HTMLElementTagNameMap[T[Role]] };

/** The elements of `tags` by role, each found by its id `id(role)` and checked to have its role's tag. */
export function pageElements<T extends ElementTags>(tags: T, id: (role: string) => string): ElementsOf<T> {
  const found: Record<string, HTMLElement> = {};
  for (const [role, tag] of Object.entries(tags)) {
    const el = document.getElementById(id(role));
    if (el?.localName !== tag) throw new Error(`the page has no <${tag} id="${id(role)}"> (the ${role} element)`);
    found[role] = el;
  }
  return found as ElementsOf<T>;
}
