"""Scripts run in a page by the browser tests: what a person would see clipped or cut short."""

# Multiselect chips cut off or spilling out of their box, or faded by Streamlit's mask (« ormé·e » for « Formé·e »).
CHIPS_CLIPPED = """
() => [...document.querySelectorAll("[data-testid='stMultiSelectTagsContainer']")].flatMap((container) => {
  // The box drawn around the chips is the container's parent: a container wider than it spills over.
  const box = container.parentElement.getBoundingClientRect();
  const masked = getComputedStyle(container).maskImage !== "none" || container.scrollWidth > container.clientWidth;
  return [...container.querySelectorAll("[data-tag]")]
    .filter((tag) => masked || tag.getBoundingClientRect().right > box.right + 0.5
                     || tag.querySelector("span").scrollWidth > tag.querySelector("span").clientWidth)
    .map((tag) => tag.innerText);
})
"""
# Widget labels (checkboxes' included) ending in « … » (« Conseillers numériques u… »).
TRUNCATED_LABELS = """
() => [...document.querySelectorAll("[data-testid='stWidgetLabel']")]
  .filter((label) => [...label.querySelectorAll("*")].some((el) => el.scrollWidth > el.clientWidth + 1))
  .map((label) => label.innerText)
"""
