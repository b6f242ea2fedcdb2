//! Persona-scoped render element ids.
//!
//! smithay derives a surface's render element id from its Wayland object id, and
//! object ids are per display: two personas can hold surfaces with equal ids. A
//! damage tracker that saw both would take one for the other and skip drawing
//! it. Every element is therefore drawn under an id of its persona's own, so
//! ids of two personas never compare equal, whatever renders them together.

use std::collections::HashMap;

use smithay::backend::renderer::element::{
    Element, Id, Kind, RenderElement, RenderElementStates, UnderlyingStorage,
};
use smithay::backend::renderer::utils::{CommitCounter, DamageSet, OpaqueRegions};
use smithay::backend::renderer::Renderer;
use smithay::utils::{Buffer, Physical, Point, Rectangle, Scale, Transform};

/// One persona's mapping from smithay's element ids to its own.
#[derive(Debug, Default)]
pub struct ScopedIds {
    scoped: HashMap<Id, Id>,
    inner: HashMap<Id, Id>,
}

impl ScopedIds {
    /// Wraps this frame's elements; ids of elements gone since the last frame
    /// are forgotten (one that comes back is a new element, drawn whole).
    pub fn wrap<E: Element>(&mut self, elements: Vec<E>) -> Vec<Scoped<E>> {
        let mut scoped = HashMap::with_capacity(elements.len());
        let wrapped = elements
            .into_iter()
            .map(|element| {
                let inner = element.id().clone();
                let id = self.scoped.get(&inner).cloned().unwrap_or_else(Id::new);
                scoped.insert(inner, id.clone());
                Scoped { element, id }
            })
            .collect();
        self.inner = scoped.iter().map(|(i, s)| (s.clone(), i.clone())).collect();
        self.scoped = scoped;
        wrapped
    }

    /// The render states under smithay's own ids again (frame callbacks and
    /// presentation look surfaces up by those).
    pub fn unscope(&self, states: RenderElementStates) -> RenderElementStates {
        RenderElementStates {
            states: states
                .states
                .into_iter()
                .filter_map(|(id, state)| self.inner.get(&id).map(|inner| (inner.clone(), state)))
                .collect(),
        }
    }
}

/// An element drawn under its persona's id.
#[derive(Debug)]
pub struct Scoped<E> {
    element: E,
    id: Id,
}

impl<E: Element> Element for Scoped<E> {
    fn id(&self) -> &Id {
        &self.id
    }

    fn current_commit(&self) -> CommitCounter {
        self.element.current_commit()
    }

    fn location(&self, scale: Scale<f64>) -> Point<i32, Physical> {
        self.element.location(scale)
    }

    fn src(&self) -> Rectangle<f64, Buffer> {
        self.element.src()
    }

    fn transform(&self) -> Transform {
        self.element.transform()
    }

    fn geometry(&self, scale: Scale<f64>) -> Rectangle<i32, Physical> {
        self.element.geometry(scale)
    }

    fn damage_since(
        &self,
        scale: Scale<f64>,
        commit: Option<CommitCounter>,
    ) -> DamageSet<i32, Physical> {
        self.element.damage_since(scale, commit)
    }

    fn opaque_regions(&self, scale: Scale<f64>) -> OpaqueRegions<i32, Physical> {
        self.element.opaque_regions(scale)
    }

    fn alpha(&self) -> f32 {
        self.element.alpha()
    }

    fn kind(&self) -> Kind {
        self.element.kind()
    }
}

impl<R: Renderer, E: RenderElement<R>> RenderElement<R> for Scoped<E> {
    fn draw(
        &self,
        frame: &mut R::Frame<'_, '_>,
        src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        opaque_regions: &[Rectangle<i32, Physical>],
    ) -> Result<(), R::Error> {
        self.element.draw(frame, src, dst, damage, opaque_regions)
    }

    fn underlying_storage(&self, renderer: &mut R) -> Option<UnderlyingStorage<'_>> {
        self.element.underlying_storage(renderer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smithay::backend::renderer::element::solid::SolidColorBuffer;
    use smithay::backend::renderer::element::solid::SolidColorRenderElement;
    use smithay::backend::renderer::element::Kind;

    fn element(buffer: &SolidColorBuffer) -> SolidColorRenderElement {
        SolidColorRenderElement::from_buffer(buffer, (0, 0), 1.0, 1.0, Kind::Unspecified)
    }

    #[test]
    fn equal_ids_in_two_personas_become_different_and_stay_stable() {
        let shared = SolidColorBuffer::new((10, 10), [1.0, 0.0, 0.0, 1.0]);
        let (mut a, mut b) = (ScopedIds::default(), ScopedIds::default());
        let wa = a.wrap(vec![element(&shared)]);
        let wb = b.wrap(vec![element(&shared)]);
        assert_eq!(element(&shared).id(), element(&shared).id());
        assert_ne!(wa[0].id(), wb[0].id(), "scoped per persona");
        let again = a.wrap(vec![element(&shared)]);
        assert_eq!(wa[0].id(), again[0].id(), "stable across frames");
        let states = RenderElementStates {
            states: [(
                again[0].id().clone(),
                smithay::backend::renderer::element::RenderElementState {
                    visible_area: 100,
                    presentation_state:
                        smithay::backend::renderer::element::RenderElementPresentationState::Rendering {
                            reason: None,
                        },
                },
            )]
            .into_iter()
            .collect(),
        };
        let unscoped = a.unscope(states);
        assert!(unscoped.states.contains_key(element(&shared).id()));
        // Gone for a frame: forgotten, and a new id when it returns.
        a.wrap(Vec::<SolidColorRenderElement>::new());
        let back = a.wrap(vec![element(&shared)]);
        assert_ne!(back[0].id(), wa[0].id());
    }
}
