"""Forms of the persona pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from modeling.config import PRESETS
from modeling.options import MODES
from personas.models import Persona

PRESET_HELP = {
    "quick": "Quick: a few minutes, a demo-quality model",
    "standard": "Standard: about half an hour, better replies",
    "thorough": "Thorough: hours, the best it can do",
}


def unique_slug(owner, name: str) -> str:
    """A slug from the name, numbered when the owner already has it ("sam", "sam-2", ...)."""
    base = slugify(name)[:90] or "persona"
    mine = Persona.objects.filter(owner=owner, slug__startswith=base)
    taken = set(mine.values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


class PersonaForm(forms.ModelForm):
    class Meta:
        model = Persona
        fields = ["name", "description"]
        widgets = {
            "name": forms.TextInput(attrs={"placeholder": "e.g. Sam", "autocomplete": "off"}),
            "description": forms.TextInput(
                attrs={"placeholder": "Optional, e.g. me in my group chats"}
            ),
        }
        help_texts = {"description": "Only you see this."}

    def save_for(self, owner) -> Persona:
        persona = self.save(commit=False)
        persona.owner = owner
        persona.slug = unique_slug(owner, persona.name)
        persona.save()
        return persona


class IdentityForm(forms.Form):
    """Which authors are the persona (aliases across files) and which conversations to leave out."""

    identities = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Which author is you?"
    )
    excluded = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Leave out"
    )

    def __init__(self, *args, authors=(), conversations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identities"].choices = [(name, name) for name in authors]
        self.fields["excluded"].choices = [(key, key) for key in conversations]

    def clean_identities(self):
        identities = self.cleaned_data["identities"]
        if not identities:
            raise forms.ValidationError("Pick at least one author: the one who is you.")
        return identities


class TrainForm(forms.Form):
    preset = forms.ChoiceField(
        choices=[(name, PRESET_HELP.get(name, name)) for name in PRESETS], initial="quick"
    )
    from_scratch = forms.BooleanField(
        required=False,
        label="Start now, without the base model",
        help_text="Costs quality: a model that starts from scratch must learn English from your "
        "chats alone, and its replies are mostly noise until you have tens of thousands.",
    )


MODE_HELP = {
    "generate": "Generate: the model alone writes every reply",
    "blend": "Blend: the model reads your closest real reply and writes its own",
    "quote": "Quote: your real reply when a message is close to one you answered, "
    "else a generated one",
}


class ReplyModeForm(forms.ModelForm):
    class Meta:
        model = Persona
        fields = ["reply_mode"]
        labels = {"reply_mode": "Where replies come from"}
        widgets = {
            "reply_mode": forms.RadioSelect(choices=[(mode, MODE_HELP[mode]) for mode in MODES])
        }


class ShareUserForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        label="Share with a user",
        widget=forms.TextInput(attrs={"placeholder": "their username", "autocomplete": "off"}),
    )

    def __init__(self, *args, persona: Persona, **kwargs):
        super().__init__(*args, **kwargs)
        self.persona = persona

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        # The same answer for "no such user" and "that's you": it reveals nothing else.
        if user is None or user == self.persona.owner:
            raise forms.ValidationError("No other user with that name.")
        return user


class DeletePersonaForm(forms.Form):
    confirm = forms.CharField(label="Type the persona's name to confirm")

    def __init__(self, *args, persona: Persona, **kwargs):
        super().__init__(*args, **kwargs)
        self.persona = persona

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip() != self.persona.name:
            raise forms.ValidationError("The name does not match.")
        return self.cleaned_data["confirm"]
